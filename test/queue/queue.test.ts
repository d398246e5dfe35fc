/**
 * Queue mode on a real redis-server: the Slack app enqueues, BullMQ carries, the worker posts.
 * Covers sealing (no token in Redis), dedupe, stalled-job recovery and retries with exactly one
 * checklist, fail-fast when Redis is down, per-cluster queues and Slack rate limits.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { Redis } from 'ioredis';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import type { CheckStatus } from '../../src/engine/check.js';
import { startFakeSlack, FAKE_SLACK_IDS, type FakeSlack } from '../support/slack-api.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { SLACK_TEST_IDS, sendEvent, sendSlashCommand } from '../support/slack-request.js';
import {
  ENCRYPTION_KEY_B64,
  NO_CLUSTER,
  SECRET,
  TEST_CLIENT_OPTIONS,
  captureLog,
  checkBlockIds,
  checklistCalls,
  expectedBlockIds,
  fakeDiagnose,
  fakeReport,
  startTestApp,
  testConfig,
  until,
  type FakeDiagnose,
} from '../slack/harness.js';

let redis: TestRedis;
let slack: FakeSlack;
let app: Awaited<ReturnType<typeof startTestApp>>;
let inspect: Redis;
let token: string;
const log = captureLog();
const workers: RunningWorker[] = [];

const env = () => ({ REDIS_URL: redis.url, JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64 });

async function worker(fake: FakeDiagnose, options: { cluster?: string; lockDurationMs?: number; stalledIntervalMs?: number } = {}): Promise<RunningWorker> {
  const w = await startWorker(testConfig(slack, env(), 'worker'), {
    logger: log.logger,
    health: false,
    clientOptions: TEST_CLIENT_OPTIONS,
    runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
    ...options,
  });
  workers.push(w);
  return w;
}

async function stopWorkers(): Promise<void> {
  while (workers.length > 0) await workers.pop()?.stop();
}

/** Every key and every value in Redis, as text. */
async function dumpRedis(): Promise<string> {
  const out: string[] = [];
  for (const key of await inspect.keys('*')) {
    out.push(key);
    const type = await inspect.type(key);
    if (type === 'string') out.push(String(await inspect.get(key)));
    else if (type === 'hash') out.push(JSON.stringify(await inspect.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await inspect.lrange(key, 0, -1)));
    else if (type === 'zset') out.push(JSON.stringify(await inspect.zrange(key, '0', '-1')));
    else if (type === 'set') out.push(JSON.stringify(await inspect.smembers(key)));
    else if (type === 'stream') out.push(JSON.stringify(await inspect.xrange(key, '-', '+')));
  }
  return out.join('\n');
}

const jobKeys = async (prefix = 'bull:jwtcheck') =>
  (await inspect.keys(`${prefix}:*`)).filter((k) => /:[a-z]+-[0-9a-f]{40}$/.test(k) && !k.includes(':seen:'));

beforeAll(async () => {
  redis = await startRedis();
  slack = await startFakeSlack();
  inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  app = await startTestApp(testConfig(slack, env()), { logger: log.logger });
  const { privateKey } = await generateKeyPair('ES256');
  token = await new SignJWT({ sub: 'bob' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer('https://issuer.example').setExpirationTime('1h').sign(privateKey);
});

afterAll(async () => {
  await stopWorkers();
  await app.stop();
  inspect.disconnect();
  await slack.close();
  await redis.stop();
});

beforeEach(async () => {
  slack.calls.length = 0;
  await inspect.flushall();
});

afterEach(stopWorkers);

const STATUSES: Partial<Record<string, CheckStatus>> = { 'token.signature': 'fail' };

it('runs /jwtcheck through Redis and a worker into one parent and one threaded checklist', async () => {
  const fake = fakeDiagnose({ statuses: STATUSES });
  await worker(fake);
  const res = await sendSlashCommand(app.url, SECRET, { text: 'httpbin.foo', response_url: slack.responseUrl() });
  console.log(`ack latency (queue mode): ${res.ms.toFixed(1)} ms`);
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(500);
  await until(() => String(slack.callsTo('chat.update').at(-1)?.args['text']).includes('a check failed'), 8000, 'final parent update');
  const parents = slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined);
  expect(parents).toHaveLength(1);
  const report = fakeReport({ service: 'httpbin', namespace: 'foo', cluster: 'default' }, STATUSES);
  expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
  // Jobs are removed when they end.
  await until(async () => (await jobKeys()).length === 0, 3000, 'job removal');
});

it('never holds the token in clear in Redis while the job waits, and the worker still gets it', async () => {
  await sendEvent(app.url, SECRET, { type: 'message', channel: FAKE_SLACK_IDS.dmChannel, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: `httpbin foo ${token}`, ts: '1700000500.000001' });
  await until(async () => (await jobKeys()).length > 0, 3000, 'queued job');
  const dump = await dumpRedis();
  expect(dump).toMatch(/sealedToken\W+v1\./);
  for (const part of token.split('.')) expect(dump).not.toContain(part);
  expect(dump).not.toContain(token.slice(0, 30));

  const fake = fakeDiagnose();
  await worker(fake);
  await until(() => fake.calls.length === 1, 8000, 'worker run');
  expect(fake.calls[0]?.token).toBe(token);
  await until(() => checklistCalls(slack).length > 0, 5000);
  expect(JSON.stringify(slack.calls)).not.toContain(token.split('.')[2]);
  expect(log.text()).not.toContain(token.split('.')[2]);
  expect(log.text()).not.toContain(token.split('.')[1]);
});

it('enqueues a double-submitted command once', async () => {
  const fields = { text: 'httpbin foo', trigger_id: '42.double', response_url: slack.responseUrl() };
  await sendSlashCommand(app.url, SECRET, fields);
  await sendSlashCommand(app.url, SECRET, fields);
  await until(async () => (await jobKeys()).length > 0, 3000);
  const waiting = await inspect.llen('bull:jwtcheck:wait');
  expect(waiting).toBe(1);
});

it('recovers a job whose worker stopped mid-run: same parent, exactly one checklist', async () => {
  const stuck = fakeDiagnose({ hold: true }); // never released: this attempt never finishes
  const first = await worker(stuck, { lockDurationMs: 1000, stalledIntervalMs: 300 });
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
  await until(() => stuck.calls.length === 1, 5000, 'first attempt');
  await first.stop(true); // leaves the job active with a lock that expires
  workers.splice(workers.indexOf(first), 1);

  const fake = fakeDiagnose({ statuses: STATUSES });
  await worker(fake, { lockDurationMs: 1000, stalledIntervalMs: 300 });
  await until(() => fake.calls.length === 1, 10_000, 'recovered attempt');
  await until(() => String(slack.callsTo('chat.update').at(-1)?.args['text']).includes('a check failed'), 5000);
  const parents = slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined);
  expect(parents).toHaveLength(1);
  expect(slack.callsTo('chat.update').some((c) => String(c.args['text']).includes('restarted after an interruption'))).toBe(true);
  const report = fakeReport({ service: 'httpbin', namespace: 'foo', cluster: 'default' }, STATUSES);
  expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
  stuck.release();
}, 30_000);

it('retries after a Slack failure mid-thread, deleting the partial replies', async () => {
  const fake = fakeDiagnose({ statuses: STATUSES });
  await worker(fake);
  // Let the summary reply through, then fail the next post (the checklist) once.
  void slack.waitFor((c) => c.method === 'chat.postMessage' && String(c.args['text']).includes('need attention'), 10_000).then(() =>
    slack.failNext('chat.postMessage', { error: 'internal_error' }),
  );
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
  await until(() => fake.calls.length === 2, 10_000, 'second attempt');
  await until(() => String(slack.callsTo('chat.update').at(-1)?.args['text']).includes('a check failed'), 5000);
  const summaries = slack.callsTo('chat.postMessage').filter((c) => String(c.args['text']).includes('need attention'));
  expect(summaries).toHaveLength(2);
  expect(slack.callsTo('chat.delete')).toHaveLength(1);
  const parents = slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined);
  expect(parents).toHaveLength(1);
  expect(checklistCalls(slack)).toHaveLength(1);
}, 30_000);

it('retries a 429 from chat.postMessage after Retry-After and still posts one parent', async () => {
  const fake = fakeDiagnose();
  await worker(fake);
  slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
  await until(() => String(slack.callsTo('chat.update').at(-1)?.args['text']).includes('no problem found'), 10_000);
  const posts = slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined);
  expect(posts.filter((c) => c.failed)).toHaveLength(1);
  expect(posts.filter((c) => !c.failed)).toHaveLength(1);
  expect(checklistCalls(slack)).toHaveLength(1);
}, 20_000);

it('uses jwtcheck:<cluster> queues and refuses a cluster no worker serves', async () => {
  const refused = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo --cluster nowhere', response_url: slack.responseUrl('c1') });
  expect(refused.status).toBe(200);
  const told = await slack.waitFor((c) => c.method === 'response_url');
  expect(String(told.args['text'])).toContain('No jwtcheck worker serves cluster `nowhere`');
  expect(await jobKeys('bull:jwtcheck:nowhere')).toHaveLength(0);

  const fake = fakeDiagnose();
  await worker(fake, { cluster: 'prod-eu' });
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo --cluster prod-eu', response_url: slack.responseUrl('c2') });
  await until(() => fake.calls.length === 1, 8000, 'per-cluster job');
  expect(fake.calls[0]?.target.cluster).toBe('prod-eu');
  expect((await inspect.keys('bull:jwtcheck:prod-eu:*')).length).toBeGreaterThan(0);
});

it('says the queue is unavailable within a second when Redis is down', async () => {
  await redis.stop();
  try {
    const started = Date.now();
    const res = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl('down') });
    expect(res.status).toBe(200);
    const told = await slack.waitFor((c) => c.method === 'response_url', 3000);
    const elapsed = Date.now() - started;
    console.log(`"queue unavailable" reached the user after ${elapsed} ms`);
    expect(elapsed).toBeLessThan(1000);
    expect(told.args['response_type']).toBe('ephemeral');
    expect(String(told.args['text'])).toMatch(/The diagnosis queue is unavailable \(Redis at 127\.0\.0\.1:\d+ does not answer\); try again in a minute\./);
  } finally {
    await redis.restart();
  }
});
