/**
 * End to end in Socket Mode, the install path the README recommends: the real app with SLACK_APP_TOKEN
 * (no signing secret) connects through SLACK_API_URL to the Socket Mode stand-in, BullMQ on
 * redis-server, the worker runs the REAL diagnose against the fake Kubernetes API and a local OIDC
 * issuer, and posts to the fake Slack API. Same assertions as the HTTP suite (slack-e2e.test.ts), plus
 * what only Socket Mode has: acks as frames, dropped sockets and `disconnect` envelopes mid-run.
 */
import { Redis } from 'ioredis';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { freePort } from '../support/free-port.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack, type SlackCall } from '../support/slack-api.js';
import { SLACK_TEST_IDS, checkTokenSubmission } from '../support/slack-request.js';
import { startSocketModeServer, type FakeSocketMode } from '../support/socket-mode-server.js';
import { ENCRYPTION_KEY_B64, TEST_CLIENT_OPTIONS, TEST_SOCKET_PING_TIMEOUT_MS, blocksOf, captureLog, checklistCalls, startTestApp, testConfig, until } from '../slack/harness.js';
import { expectOneChecklist, finalUpdate as finalUpdateOf, httpbinFoo, recordingRuntime, redisText, type RecordingRuntime } from './e2e-fixture.js';

/** Slack shows the user an error when a slash command is not acked within 3 s. */
const SLACK_ACK_DEADLINE_MS = 3000;
const DM = FAKE_SLACK_IDS.dmChannel;

let redis: TestRedis;
let slack: FakeSlack;
let socket: FakeSocketMode;
let kube: KubeApiServer;
let issuer: TestIssuer;
let inspect: Redis;
let recorded: RecordingRuntime;
let app: Awaited<ReturnType<typeof startTestApp>>;
let worker: RunningWorker;
let appPort: number;
const ALERT_BEARER = 'socket-mode-alert-bearer';
const log = captureLog('socket-e2e');
const tokens: string[] = [];
/** Every Slack call of the file (each test starts with an empty list). */
const allCalls: SlackCall[] = [];
const ackLatencies: number[] = [];

beforeAll(async () => {
  [redis, slack, issuer] = await Promise.all([startRedis(), startFakeSlack(), startIssuer()]);
  socket = await startSocketModeServer(slack);
  kube = await startKubeApiServer({ objects: httpbinFoo(issuer), logs: {} });
  inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  recorded = recordingRuntime(kube);
  await import('../../src/diagnose.js'); // compiled once up front, not in the middle of a timed ack
  appPort = await freePort(); // Socket Mode still serves its custom routes (POST /alertmanager) on PORT
  const env = { REDIS_URL: redis.url, JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64, SLACK_APP_TOKEN: socket.appToken, SLACK_SIGNING_SECRET: undefined, PORT: String(appPort), JWTCHECK_ALERTMANAGER_TOKEN: ALERT_BEARER };
  app = await startTestApp(testConfig(slack, env), { logger: log.logger, socketPingTimeoutMs: TEST_SOCKET_PING_TIMEOUT_MS });
  worker = await startWorker(testConfig(slack, env, 'worker'), { logger: log.logger, health: false, clientOptions: TEST_CLIENT_OPTIONS, runtime: recorded.runtime });
});

afterAll(async () => {
  const sorted = [...ackLatencies].sort((a, b) => a - b);
  if (sorted.length > 0) {
    console.log(`ack latency (Socket Mode, queue): n=${sorted.length} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  }
  await worker?.stop();
  await app?.stop();
  inspect.disconnect();
  await Promise.all([socket.close(), slack.close(), kube.close(), issuer.close()]);
  await redis.stop();
});

beforeEach(() => {
  slack.calls.length = 0;
  recorded.reports.length = 0;
  recorded.tokensSeen.length = 0;
  recorded.gate.wait = undefined;
});

afterEach(() => {
  allCalls.push(...slack.calls);
});

const finalUpdate = () => finalUpdateOf(slack, recorded);
const acked = async (delivery: Promise<{ ack: Promise<{ latencyMs: number; payload: unknown }> }>) => {
  const ack = await (await delivery).ack;
  ackLatencies.push(ack.latencyMs);
  return ack;
};
const signed = async (claims: Record<string, unknown> = { sub: 'alice', aud: 'httpbin' }) => {
  const token = await issuer.sign(claims);
  tokens.push(token);
  return token;
};
const dm = (text: string, ts: string) =>
  socket.event({ type: 'message', channel: DM, channel_type: 'im', user: SLACK_TEST_IDS.userId, text, ts, team: SLACK_TEST_IDS.teamId }, { retryAttempt: 0 });
const buttonIn = (call: SlackCall, actionId: string) =>
  blocksOf(call)
    .flatMap((b) => (b['elements'] as Record<string, unknown>[] | undefined) ?? [])
    .find((e) => e['action_id'] === actionId);

describe('/jwtcheck httpbin foo over Socket Mode', () => {
  it('is acked on the socket within 3 s, then gets a parent and the threaded checklist of the real report', async () => {
    const ack = await acked(socket.slashCommand({ text: 'httpbin foo', response_url: slack.responseUrl() }));
    console.log(`ack latency (Socket Mode, first command): ${ack.latencyMs.toFixed(1)} ms`);
    expect(ack.latencyMs).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Checking httpbin.foo') });
    await finalUpdate();
    const report = recorded.reports[0]!;
    expectOneChecklist(slack, report);
    expect(report.checks.find((c) => c.id === 'workload.service')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'workload.sidecar')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'issuer.jwks')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('skip');
    expect(kube.requests.every((r) => r.verb === 'get' || r.verb === 'list')).toBe(true);
  });

  it('re-runs from the Re-run button (an interactive envelope)', async () => {
    await acked(socket.slashCommand({ text: 'httpbin foo', response_url: slack.responseUrl() }));
    await finalUpdate();
    const parentTs = String(slack.callsTo('chat.update').at(-1)?.args['ts']);
    const button = buttonIn(slack.callsTo('chat.update').at(-1)!, 'jwtcheck_rerun');
    expect(button).toBeDefined();
    slack.calls.length = 0;
    recorded.reports.length = 0;
    await acked(
      socket.interactive({
        type: 'block_actions',
        user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
        team: { id: SLACK_TEST_IDS.teamId },
        channel: { id: SLACK_TEST_IDS.channelId },
        container: { type: 'message', channel_id: SLACK_TEST_IDS.channelId, message_ts: parentTs },
        message: { ts: parentTs, text: 'x' },
        trigger_id: '901.rerun',
        response_url: slack.responseUrl('rerun'),
        actions: [{ type: 'button', action_id: 'jwtcheck_rerun', block_id: 'parent:actions', value: button?.['value'], action_ts: '1' }],
      }),
    );
    await finalUpdate();
    expectOneChecklist(slack, recorded.reports[0]!);
  });
});

describe('DMs over Socket Mode', () => {
  it('decodes a token on its first delivery, and the "Check against a service" form runs the diagnosis in the DM thread', async () => {
    const token = await signed();
    await acked(dm(token, '1700001000.000001'));
    const reply = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args['channel'] === DM, 3000);
    expect(reply.args['thread_ts']).toBe('1700001000.000001');
    expect(JSON.stringify(blocksOf(reply))).toContain(issuer.issuer);
    const button = buttonIn(reply, 'jwtcheck_check_token');
    expect(String(button?.['value'])).not.toContain('eyJ');

    const user = { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId };
    await acked(
      socket.interactive({
        type: 'block_actions',
        user,
        team: { id: SLACK_TEST_IDS.teamId },
        channel: { id: DM },
        container: { type: 'message', channel_id: DM, message_ts: String(reply.args['ts'] ?? '1700000000.000100') },
        message: { ts: '1700000000.000100', thread_ts: '1700001000.000001', text: 'x' },
        trigger_id: '902.modal',
        response_url: slack.responseUrl('form'),
        actions: [{ type: 'button', action_id: 'jwtcheck_check_token', block_id: 'token:actions', value: button?.['value'], action_ts: '1' }],
      }),
    );
    const opened = await slack.waitFor((c) => c.method === 'views.open', 3000);
    const view = opened.args['view'] as { callback_id: string; private_metadata: string };
    const submit = (service: string) => acked(socket.interactive(checkTokenSubmission(view, service, '903.submit')));
    // Over the socket, the form's errors travel in the ack's payload.
    expect((await submit('Not_Valid')).payload).toEqual({ response_action: 'errors', errors: { service: expect.stringContaining('Service name') } });
    await submit('httpbin');
    await finalUpdate();
    const report = recorded.reports[0]!;
    expect(recorded.tokensSeen[0]).toBe(token);
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expectOneChecklist(slack, report);
    expect(checklistCalls(slack).every((c) => c.args['channel'] === DM && c.args['thread_ts'] === '1700001000.000001')).toBe(true);
  });

  it('diagnoses `httpbin foo <token>` with the token, sealed in Redis while the job waits', async () => {
    const token = await signed();
    let release: () => void = () => undefined;
    recorded.gate.wait = new Promise((r) => (release = r));
    await acked(dm(`httpbin foo ${token}`, '1700001100.000001'));
    await until(() => recorded.tokensSeen.length === 1, 5000, 'the worker to take the job');
    expect(await redisText(inspect)).not.toContain(token.split('.')[2]);
    release();
    await finalUpdate();
    const report = recorded.reports[0]!;
    expect(recorded.tokensSeen[0]).toBe(token);
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.authorization')?.status).toBe('pass');
    expectOneChecklist(slack, report);
    expect(String(slack.callsTo('chat.update').at(-1)?.args['text'])).toContain('(with your token)');
  });
});

describe('Alertmanager and App Home in Socket Mode', () => {
  it('serves POST /alertmanager on PORT (401 without the bearer, a parent + checklist with it) and publishes App Home from an events_api envelope', async () => {
    const url = `http://127.0.0.1:${appPort}/alertmanager`;
    const body = JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'jwtcheck',
      groupKey: '{}:{alertname="IstioJwtAuthFailures"}',
      alerts: [{ status: 'firing', labels: { alertname: 'IstioJwtAuthFailures', destination_service_name: 'httpbin', destination_service_namespace: 'foo', jwtcheck_channel: 'C0SOCKET' }, annotations: { summary: 'refusals' }, startsAt: '2026-11-29T14:04:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f00d000000000001' }],
    });
    const post = (auth: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
    expect((await post({})).status).toBe(401);
    const res = await post({ authorization: `Bearer ${ALERT_BEARER}` });
    expect(await res.json()).toEqual({ outcomes: ['diagnosing'] });
    await until(() => recorded.reports.length === 1 && slack.callsTo('chat.update').some((c) => c.args['channel'] === 'C0SOCKET' && /IstioJwtAuthFailures.*JWT authentication for httpbin\.foo.*: /.test(String(c.args['text']))), 20_000, 'the alert parent');
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === 'C0SOCKET' && c.args['thread_ts'] === undefined)).toHaveLength(1);
    expect(checklistCalls(slack).every((c) => c.args['channel'] === 'C0SOCKET')).toBe(true);

    await until(() => log.text().includes('"source":"alert"'), 5000, 'the audit line');
    // App Home's entry is stored just after the audit line: open the tab until it lists the alert.
    await until(async () => {
      slack.calls.length = 0;
      await (await socket.event({ type: 'app_home_opened', user: SLACK_TEST_IDS.userId, channel: FAKE_SLACK_IDS.dmChannel, tab: 'home', event_ts: `${Date.now() / 1000}` })).ack;
      const publish = await slack.waitFor((c) => c.method === 'views.publish', 5000);
      return JSON.stringify(publish.args['view']).includes('IstioJwtAuthFailures');
    }, 10_000, 'App Home listing the alert diagnosis');
  });
});

describe('the socket going away mid-run', () => {
  it.each([
    ['a dropped connection', () => socket.drop()],
    ['a disconnect envelope (refresh_requested)', () => socket.disconnect('refresh_requested')],
    ['a disconnect envelope (warning) and a refused reconnect', () => (socket.refuseNextConnection(), socket.disconnect('warning'))],
  ])('%s: the client reconnects and the diagnosis still ends with exactly one checklist', async (_what, cut) => {
    const token = await signed();
    const before = socket.connections();
    let release: () => void = () => undefined;
    recorded.gate.wait = new Promise((r) => (release = r));
    await acked(dm(`httpbin foo ${token}`, `17000012${before}0.000001`));
    await until(() => recorded.tokensSeen.length === 1, 5000, 'the worker to take the job');
    cut();
    await socket.waitForConnections(before + 1, 15_000);
    release();
    await finalUpdate();
    expectOneChecklist(slack, recorded.reports[0]!);
    // The new connection carries the next command.
    const ack = await acked(socket.slashCommand({ text: 'help' }));
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('direct message') });
    await new Promise((r) => setTimeout(r, 300));
    expect(recorded.reports).toHaveLength(1);
  });

  it('took one refused upgrade and three reconnects in all', () => {
    expect(socket.refused()).toBe(1);
    expect(socket.connections()).toBe(4);
  });
});

describe('secrets', () => {
  it('no token is in the logs, Redis, the app\'s frames or its Slack calls; the app token is not logged', async () => {
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const fromApp = socket.frames.filter((f) => f.direction === 'from-app').map((f) => f.text).join('\n');
    const logs = log.text();
    const stored = await redisText(inspect);
    const calls = JSON.stringify(allCalls);
    for (const token of tokens) {
      const [, payload, signature] = token.split('.');
      for (const where of [fromApp, logs, stored, calls]) {
        expect(where).not.toContain(signature);
        expect(where).not.toContain(payload);
      }
    }
    // The client logs every envelope at debug (DM text included): the logger's masking is what keeps the token out.
    expect(logs).toContain('Received a message on the WebSocket');
    expect(logs).toContain('[jwt redacted]');
    expect(logs).not.toContain(socket.appToken);
    expect(logs).not.toContain('xoxb-test');
    expect(fromApp).not.toContain(socket.appToken);
  });
});
