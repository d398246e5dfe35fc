/**
 * Scale out (README "Deploy"): N app replicas behind one Service and N workers share one Redis. Two app
 * processes and two worker processes (each its own child, as pods are) on one redis-server; commands are
 * spread over both apps, and each is ALSO delivered to the other app with the same trigger id (a Slack
 * retry that the load balancer sends elsewhere). Every diagnosis must run once, on one of the workers,
 * both workers must take a share, and each request ends with exactly one parent and one checklist.
 */
import { randomBytes } from 'node:crypto';
import { RoleProcess } from '../../bench/role-client.js';
import { countThreads } from '../../bench/throughput.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { sendSlashCommand } from '../support/slack-request.js';
import { until } from '../slack/harness.js';
import { httpbinFoo } from './e2e-fixture.js';

const SIGNING_SECRET = 'scale-out-secret';
const COMMANDS = 16;

let redis: TestRedis;
let slack: FakeSlack;
let kube: KubeApiServer;
let issuer: TestIssuer;
const roles: RoleProcess[] = [];

beforeAll(async () => {
  [redis, slack, issuer] = await Promise.all([startRedis(), startFakeSlack(), startIssuer()]);
  kube = await startKubeApiServer({ objects: httpbinFoo(issuer), logs: {}, latencyMs: 20 });
}, 60_000);

afterAll(async () => {
  for (const role of roles) await role.stop();
  await Promise.all([slack.close(), kube.close(), issuer.close()]);
  await redis.stop();
});

test('two apps and two workers on one Redis: the load is shared, each diagnosis runs once, one checklist each', async () => {
  const env = {
    REDIS_URL: redis.url,
    JOB_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SLACK_BOT_TOKEN: 'xoxb-scale',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    HEALTH_PORT: '0',
    JWTCHECK_CONCURRENCY: '2',
  };
  const urls: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const { role, port } = await RoleProcess.start({ role: 'app', env });
    roles.push(role);
    urls.push(`http://127.0.0.1:${port ?? 0}/slack/events`);
  }
  const workers: RoleProcess[] = [];
  for (let i = 0; i < 2; i += 1) {
    const { role } = await RoleProcess.start({ role: 'worker', env, kubeconfigYaml: kube.kubeconfigYaml });
    roles.push(role);
    workers.push(role);
  }

  const sends = Array.from({ length: COMMANDS }, (_, i) => {
    const fields = { text: 'foo/httpbin', trigger_id: `scale.${i}`, response_url: slack.responseUrl(`scale-${i}`) };
    const first = urls[i % 2] as string;
    const other = urls[(i + 1) % 2] as string;
    return [sendSlashCommand(first, SIGNING_SECRET, fields), sendSlashCommand(other, SIGNING_SECRET, fields)];
  });
  const answers = await Promise.all(sends.flat());
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));

  await until(() => countThreads(slack.calls).finals.size >= COMMANDS, 40_000, 'every diagnosis reported');
  await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate run would post now
  const counted = countThreads(slack.calls);
  expect(counted.parents).toBe(COMMANDS);
  expect(counted.finals.size).toBe(COMMANDS);
  expect(counted.checklists).toBe(COMMANDS);
  // One checklist per thread, not one per thread and attempt: its first block appears once per request.
  const firstBlocks = slack.calls.filter(
    (c) => c.method === 'chat.postMessage' && !c.failed && JSON.stringify(c.args['blocks'] ?? []).includes('"block_id":"check:workload.service"'),
  );
  expect(firstBlocks).toHaveLength(COMMANDS);
  const done = await Promise.all(workers.map(async (w) => (await w.stats()).completed));
  expect(done.reduce((a, b) => a + b, 0)).toBe(COMMANDS);
  for (const share of done) expect(share).toBeGreaterThan(0);
}, 90_000);
