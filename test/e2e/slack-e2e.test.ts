/**
 * End to end, every part real except Slack and the cluster, which are local stand-ins:
 * signed `/jwtcheck` → Bolt ack → BullMQ on redis-server → worker → the REAL diagnose (real
 * LiveClusterSource against the fake Kubernetes API, issuer documents from a local OIDC issuer)
 * → parent message + threaded checklist on the fake Slack API. Then the same in-process.
 * Issuer documents go through the real guarded fetcher (loopback is allowed; link-local is not).
 */
import { Redis } from 'ioredis';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { SLACK_TEST_IDS, sendEvent, sendSlashCommand } from '../support/slack-request.js';
import { ENCRYPTION_KEY_B64, SECRET, TEST_CLIENT_OPTIONS, blocksOf, captureLog, checkBlockIds, checklistCalls, expectedBlockIds, startTestApp, testConfig } from '../slack/harness.js';
import { expectOneChecklist, finalUpdate as finalUpdateOf, httpbinFoo, recordingRuntime, redisText, type RecordingRuntime } from './e2e-fixture.js';

let redis: TestRedis;
let slack: FakeSlack;
let kube: KubeApiServer;
let issuer: TestIssuer;
let inspect: Redis;
let recorded: RecordingRuntime;
const log = captureLog('e2e');

beforeAll(async () => {
  [redis, slack, issuer] = await Promise.all([startRedis(), startFakeSlack(), startIssuer()]);
  kube = await startKubeApiServer({ objects: httpbinFoo(issuer), logs: {} });
  inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  recorded = recordingRuntime(kube);
});

afterAll(async () => {
  inspect.disconnect();
  await Promise.all([slack.close(), kube.close(), issuer.close()]);
  await redis.stop();
});

beforeEach(() => {
  slack.calls.length = 0;
  recorded.reports.length = 0;
  recorded.tokensSeen.length = 0;
});

const finalUpdate = () => finalUpdateOf(slack, recorded);
const runtime = () => recorded.runtime;

describe('queue mode', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let worker: RunningWorker;
  const env = () => ({ REDIS_URL: redis.url, JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64 });

  beforeAll(async () => {
    app = await startTestApp(testConfig(slack, env()), { logger: log.logger });
    worker = await startWorker(testConfig(slack, env(), 'worker'), { logger: log.logger, health: false, clientOptions: TEST_CLIENT_OPTIONS, runtime: runtime() });
  });
  afterAll(async () => {
    await worker.stop();
    await app.stop();
  });

  it('answers /jwtcheck httpbin foo with a parent and a thread whose blocks match the real report', async () => {
    const res = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
    console.log(`ack latency (e2e, queue mode): ${res.ms.toFixed(1)} ms`);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1000);
    await finalUpdate();
    const report = recorded.reports[0]!;
    // Every catalogue id is reported and shows up in the thread, in catalogue order.
    expectOneChecklist(slack, report);
    expect(report.checks.find((c) => c.id === 'workload.service')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'workload.sidecar')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('skip');
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined)).toHaveLength(1);
    expect(kube.requests.every((r) => r.verb === 'get' || r.verb === 'list')).toBe(true);
  });

  it('puts the refusal timeline on the parent and the sparkline in the proxy.responses entry', async () => {
    // 200s from 14:00, the RequestAuthentication updated at 14:02, 401s from 14:04 on.
    const objects = httpbinFoo(issuer).map((o) =>
      o.kind === 'RequestAuthentication'
        ? { ...o, metadata: { ...o.metadata, creationTimestamp: '2026-11-20T09:00:00Z', generation: 2, managedFields: [{ manager: 'kubectl', operation: 'Update', time: '2026-11-29T14:02:00Z' }] } }
        : o,
    );
    const line = (minute: number, second: number, code: number) =>
      `[2026-11-29T14:0${minute}:${String(second).padStart(2, '0')}.412Z] "GET /headers HTTP/1.1" ${code} - ${code === 200 ? 'via_upstream' : 'jwt_authn_access_denied{Jwt_is_expired}'} - "-" 0 519 3 2 "-" "curl/8.7.1" "5c0e6d2a" "httpbin.foo:8000" "10.244.0.12:8080" inbound|8080|| 127.0.0.6:51123 10.244.0.12:8080 10.244.0.9:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local default`;
    const log = [0, 1, 2, 3].flatMap((m) => [line(m, 10, 200), line(m, 40, 200)]).concat([4, 5, 6].flatMap((m) => [line(m, 10, 401), line(m, 40, 401)])).join('\n');
    kube.setFixture({ objects, logs: { 'foo/httpbin-7d9c5b8f4-abcde/istio-proxy': log } });
    try {
      await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
      await finalUpdate();
      const last = slack.callsTo('chat.update').at(-1)!;
      const blocks = blocksOf(last) as { block_id?: string; type: string; elements?: { text: string }[] }[];
      const timeline = blocks.find((b) => b.block_id === 'parent:timeline');
      expect(timeline?.elements?.[0]?.text).toBe(
        '📈 401s since 14:04 UTC, 100 % of requests, still ongoing; 2 min after RequestAuthentication foo/jwt-example was updated (generation 2) at 14:02 UTC',
      );
      expect(String(last.args['text'])).toContain('401s since 14:04 UTC');
      const checklist = checklistCalls(slack).flatMap((c) => blocksOf(c) as { block_id: string; text?: { text: string } }[]);
      const responses = checklist.find((b) => b.block_id === 'check:proxy.responses');
      expect(responses?.text?.text).toContain('`▁▁▁▁███ refusals per minute, 14:00–14:07 UTC (the span the log tail covers)`');
      for (const call of [last, ...checklistCalls(slack)]) {
        const bs = blocksOf(call) as { text?: { text: string } }[];
        expect(bs.length).toBeLessThanOrEqual(50);
        for (const b of bs) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
      }
      expect(recorded.reports[0]?.timeline?.run).toMatchObject({ since: '2026-11-29T14:04:00.000Z', ongoing: true });
    } finally {
      kube.setFixture({ objects: httpbinFoo(issuer), logs: {} });
    }
  });

  it('diagnoses with a DM token: signature verified, the token nowhere in Slack, Redis or the logs', async () => {
    const token = await issuer.sign({ sub: 'alice', aud: 'httpbin' });
    await sendEvent(app.url, SECRET, { type: 'message', channel: FAKE_SLACK_IDS.dmChannel, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: `httpbin foo ${token}`, ts: '1700000900.000001', team: SLACK_TEST_IDS.teamId });
    await finalUpdate();
    const report = recorded.reports[0]!;
    expect(recorded.tokensSeen[0]).toBe(token);
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
    const signature = token.split('.')[2]!;
    expect(JSON.stringify(slack.calls)).not.toContain(signature);
    expect(log.text()).not.toContain(signature);
    expect(await redisText(inspect)).not.toContain(signature);
  });
});

describe('in-process mode (no REDIS_URL)', () => {
  it('gives the same thread', async () => {
    const app = await startTestApp(testConfig(slack), { logger: log.logger, runtime: runtime() });
    try {
      await sendSlashCommand(app.url, SECRET, { text: 'foo/httpbin', response_url: slack.responseUrl() });
      await finalUpdate();
      await (app.dispatcher as InProcessDispatcher).idle();
      expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(recorded.reports[0]!));
      expect(checkBlockIds(checklistCalls(slack))[0]).toBe('check:workload.service');
    } finally {
      await app.stop();
    }
  });
});
