/**
 * The real app in Socket Mode (SLACK_APP_TOKEN set, no signing secret) against the Socket Mode
 * stand-in: the connection through SLACK_API_URL, first deliveries vs Slack's re-deliveries, and what
 * /readyz and /metrics say while the socket is down and after it comes back.
 */
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack, type SlackCall } from '../support/slack-api.js';
import { SLACK_TEST_IDS } from '../support/slack-request.js';
import { startSocketModeServer, type FakeSocketMode } from '../support/socket-mode-server.js';
import { NO_CLUSTER, TEST_SOCKET_PING_TIMEOUT_MS, captureLog, fakeDiagnose, sleep, startTestApp, testConfig, until } from './harness.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoidSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

let slack: FakeSlack;
let socket: FakeSocketMode;
let app: Awaited<ReturnType<typeof startTestApp>>;
let opened: SlackCall[];
const fake = fakeDiagnose();
const log = captureLog('socket');

beforeAll(async () => {
  slack = await startFakeSlack();
  socket = await startSocketModeServer(slack);
  app = await startTestApp(testConfig(slack, { SLACK_APP_TOKEN: socket.appToken, SLACK_SIGNING_SECRET: undefined }), {
    logger: log.logger,
    health: true,
    socketPingTimeoutMs: TEST_SOCKET_PING_TIMEOUT_MS,
    runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
  });
  opened = slack.callsTo('apps.connections.open');
});

afterAll(async () => {
  await app.stop();
  await socket.close();
  await slack.close();
});

beforeEach(() => {
  slack.calls.length = 0;
  fake.calls.length = 0;
});

const idle = () => (app.dispatcher as InProcessDispatcher).idle();
const readyz = async () => {
  const res = await fetch(`http://127.0.0.1:${app.healthPort}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
};
const reconnects = async () => {
  const text = await (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
  return Number(/^jwtcheck_slack_socket_reconnects_total (\d+)/m.exec(text)?.[1]);
};

describe('the connection', () => {
  it('is opened with the app-level token through SLACK_API_URL, and the app is ready', async () => {
    // Only the stand-in's apps.connections.open hands out tickets the WebSocket accepts.
    expect(opened.map((c) => c.token)).toEqual([socket.appToken]);
    expect(socket.connections()).toBe(1);
    expect(socket.frames[0]?.text).toContain('"type":"hello"');
    const ready = await readyz();
    expect(ready).toEqual({ status: 200, body: { status: 'ready', checks: { queue: 'ok', slack: 'ok' } } });
    expect(await reconnects()).toBe(0);
    expect(log.text()).toMatch(/"mode":"socket".*"msg":"jwtcheck app started"/);
  });

  it('is refused to a bot token, as Slack refuses it', async () => {
    const res = await fetch(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { Authorization: 'Bearer xoxb-test' } });
    expect(await res.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
  });
});

describe('first deliveries and re-deliveries (retry_attempt)', () => {
  const dm = { type: 'message', channel: FAKE_SLACK_IDS.dmChannel, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: JWT, ts: '1700000500.000001', team: SLACK_TEST_IDS.teamId };

  it('answers a DM holding only a token on its first delivery (retry_attempt 0), and not again on a retry', async () => {
    const first = await socket.event(dm, { retryAttempt: 0, eventId: 'EvDM1' });
    await first.ack;
    const reply = await slack.waitFor((c) => c.method === 'chat.postMessage', 3000);
    expect(reply.args['thread_ts']).toBe('1700000500.000001');
    expect(JSON.stringify(reply.args)).not.toContain(JWT.split('.')[2]);

    await (await socket.event(dm, { retryAttempt: 1, eventId: 'EvDM1' })).ack;
    await sleep(300);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('warns the sender of a token pasted in a channel on the first delivery, and not again on a retry', async () => {
    const pasted = { type: 'message', channel: SLACK_TEST_IDS.channelId, channel_type: 'channel', user: SLACK_TEST_IDS.userId, text: `Bearer ${JWT}`, ts: '1700000501.000001' };
    await (await socket.event(pasted, { retryAttempt: 0, eventId: 'EvCH1' })).ack;
    const warning = await slack.waitFor((c) => c.method === 'chat.postEphemeral', 3000);
    expect(String(warning.args['text'])).toContain('rotate the token');

    await (await socket.event(pasted, { retryAttempt: 2, eventId: 'EvCH1' })).ack;
    await sleep(300);
    expect(slack.callsTo('chat.postEphemeral')).toHaveLength(1);
  });

  it('runs a DM diagnosis once when Slack re-delivers it', async () => {
    const ask = { ...dm, text: `httpbin foo ${JWT}`, ts: '1700000502.000001' };
    await (await socket.event(ask, { retryAttempt: 0, eventId: 'EvDM2' })).ack;
    await (await socket.event(ask, { retryAttempt: 1, eventId: 'EvDM2' })).ack;
    await until(() => fake.calls.length >= 1, 3000, 'diagnosis');
    await idle();
    expect(fake.calls).toHaveLength(1);
  });
});

describe('a lost socket', () => {
  it('makes /readyz not ready until the client reconnects, and is counted', async () => {
    const before = socket.connections();
    socket.drop();
    await until(async () => (await readyz()).status === 503, 3000, 'not ready');
    const down = await readyz();
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks['slack']).toMatch(/^the Slack Socket Mode connection is down .*SLACK_APP_TOKEN/);
    expect(down.body.checks['queue']).toBe('ok');

    await socket.waitForConnections(before + 1, 10_000);
    await until(async () => (await readyz()).status === 200, 3000, 'ready again');
    expect(await reconnects()).toBe(1);
    // The new connection works: a command is acked on it.
    const ack = await (await socket.slashCommand({ text: 'help' })).ack;
    expect(ack.connection).toBe(before + 1);
    expect(JSON.stringify(ack.payload)).toContain('direct message');
  });

  it.each(['refresh_requested', 'warning'] as const)('is replaced after a disconnect envelope (%s)', async (reason) => {
    const before = socket.connections();
    const count = await reconnects();
    socket.disconnect(reason);
    await socket.waitForConnections(before + 1, 10_000);
    await until(async () => (await reconnects()) === count + 1, 3000, 'reconnect counted');
    expect((await readyz()).status).toBe(200);
  });

  it('keeps trying when a reconnect is refused', async () => {
    const before = socket.connections();
    socket.refuseNextConnection();
    socket.drop();
    await socket.waitForConnections(before + 1, 15_000);
    expect(socket.refused()).toBe(1);
    await until(async () => (await readyz()).status === 200, 3000, 'ready again');
    expect(log.text()).toContain('Socket Mode connection lost');
    expect(log.text()).not.toContain(socket.appToken);
  });
});
