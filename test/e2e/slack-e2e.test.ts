/**
 * End to end, every part real except Slack and the cluster, which are local stand-ins:
 * signed `/jwtcheck` → Bolt ack → BullMQ on redis-server → worker → the REAL diagnose (real
 * LiveClusterSource against the fake Kubernetes API, issuer documents from a local OIDC issuer)
 * → parent message + threaded checklist on the fake Slack API. Then the same in-process.
 * Issuer documents go through the real guarded fetcher (loopback is allowed; link-local is not).
 */
import { Redis } from 'ioredis';
import type { DiagnoseOptions } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import type { KubeObject } from '../../src/model/index.js';
import { CHECK_IDS } from '../../src/checks/index.js';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import type { RuntimeOverrides } from '../../src/job/runtime.js';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { SLACK_TEST_IDS, sendEvent, sendSlashCommand } from '../support/slack-request.js';
import {
  ENCRYPTION_KEY_B64,
  SECRET,
  TEST_CLIENT_OPTIONS,
  blocksOf,
  captureLog,
  checkBlockIds,
  checklistCalls,
  expectedBlockIds,
  startTestApp,
  testConfig,
  until,
} from '../slack/harness.js';

function fixture(issuer: TestIssuer): KubeObject[] {
  const pod = (name: string, namespace: string, labels: Record<string, string>, containers: { name: string; image: string }[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: {} } })),
    },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'httpbin', namespace: 'foo', labels: { app: 'httpbin' } },
      spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 80, protocol: 'TCP' }] },
    },
    pod('httpbin-7d9c5b8f4-abcde', 'foo', { app: 'httpbin' }, [
      { name: 'httpbin', image: 'docker.io/kong/httpbin' },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3' },
    ]),
    pod('istiod-5d4f9c7b8-xk2lp', 'istio-system', { app: 'istiod', istio: 'pilot' }, [{ name: 'discovery', image: 'docker.io/istio/pilot:1.22.3' }]),
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: 'jwt-example', namespace: 'foo' },
      spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }] },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'require-jwt', namespace: 'foo' },
      spec: { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${issuer.issuer}/*`] } }] }] },
    },
  ];
}

let redis: TestRedis;
let slack: FakeSlack;
let kube: KubeApiServer;
let issuer: TestIssuer;
let inspect: Redis;
const log = captureLog('e2e');
const reports: Report[] = [];
const tokensSeen: (string | undefined)[] = [];

function runtime(): RuntimeOverrides {
  return {
    kubeconfigYaml: kube.kubeconfigYaml,
    progressIntervalMs: 200,
    diagnose: async (options: DiagnoseOptions) => {
      const { diagnose } = await import('../../src/diagnose.js'); // the real engine
      tokensSeen.push(options.token);
      const report = await diagnose(options);
      reports.push(report);
      return report;
    },
  };
}

beforeAll(async () => {
  [redis, slack, issuer] = await Promise.all([startRedis(), startFakeSlack(), startIssuer()]);
  kube = await startKubeApiServer({ objects: fixture(issuer), logs: {} });
  inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  inspect.disconnect();
  await Promise.all([slack.close(), kube.close(), issuer.close()]);
  await redis.stop();
});

beforeEach(() => {
  slack.calls.length = 0;
  reports.length = 0;
  tokensSeen.length = 0;
});

const finalUpdate = () =>
  until(() => /JWT authentication for httpbin\.foo.*: /.test(String(slack.callsTo('chat.update').at(-1)?.args['text'])) && reports.length > 0, 20_000, 'final parent update');

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
    const report = reports[0]!;
    // Every catalogue id is reported and shows up in the thread, in catalogue order.
    expect(new Set(report.checks.map((c) => c.id))).toEqual(new Set(CHECK_IDS));
    expect(report.checks.find((c) => c.id === 'workload.service')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'workload.sidecar')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('skip');
    expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
    const parents = slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined);
    expect(parents).toHaveLength(1);
    expect(kube.requests.every((r) => r.verb === 'get' || r.verb === 'list')).toBe(true);
  });

  it('puts the refusal timeline on the parent and the sparkline in the proxy.responses entry', async () => {
    // 200s from 14:00, the RequestAuthentication updated at 14:02, 401s from 14:04 on.
    const objects = fixture(issuer).map((o) =>
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
      expect(reports[0]?.timeline?.run).toMatchObject({ since: '2026-11-29T14:04:00.000Z', ongoing: true });
    } finally {
      kube.setFixture({ objects: fixture(issuer), logs: {} });
    }
  });

  it('diagnoses with a DM token: signature verified, the token nowhere in Slack, Redis or the logs', async () => {
    const token = await issuer.sign({ sub: 'alice', aud: 'httpbin' });
    await sendEvent(app.url, SECRET, { type: 'message', channel: FAKE_SLACK_IDS.dmChannel, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: `httpbin foo ${token}`, ts: '1700000900.000001', team: SLACK_TEST_IDS.teamId });
    await finalUpdate();
    const report = reports[0]!;
    expect(tokensSeen[0]).toBe(token);
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
    const signature = token.split('.')[2]!;
    expect(JSON.stringify(slack.calls)).not.toContain(signature);
    expect(log.text()).not.toContain(signature);
    const keys = await inspect.keys('*');
    const values = await Promise.all(keys.map(async (k) => ((await inspect.type(k)) === 'string' ? inspect.get(k) : JSON.stringify(await inspect.hgetall(k).catch(() => ({}))))));
    expect(JSON.stringify(values)).not.toContain(signature);
  });
});

describe('in-process mode (no REDIS_URL)', () => {
  it('gives the same thread', async () => {
    const app = await startTestApp(testConfig(slack), { logger: log.logger, runtime: runtime() });
    try {
      await sendSlashCommand(app.url, SECRET, { text: 'foo/httpbin', response_url: slack.responseUrl() });
      await finalUpdate();
      await (app.dispatcher as InProcessDispatcher).idle();
      expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(reports[0]!));
      expect(checkBlockIds(checklistCalls(slack))[0]).toBe('check:workload.service');
    } finally {
      await app.stop();
    }
  });
});
