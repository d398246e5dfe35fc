/**
 * Issue 10 item 11: a killed worker's job is resumed quickly, and a slow but alive diagnosis is never taken
 * for a stalled one. Real redis-server, a real `jwtcheck worker` process killed with SIGKILL mid-diagnosis
 * (its Kubernetes API hangs), and a survivor. The lock and stalled-check intervals come from the environment
 * (JWTCHECK_JOB_LOCK_MS, JWTCHECK_STALLED_CHECK_MS), scaled down here so the test takes seconds; the
 * defaults are the same mechanism at 15 s + 5 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_JOB_LOCK_MS, DEFAULT_STALLED_CHECK_MS } from '../../src/config.js';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import { REPO_ROOT, minimalEnv } from '../cli/fixtures/support.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { sendSlashCommand } from '../support/slack-request.js';
import {
  ENCRYPTION_KEY_B64,
  NO_CLUSTER,
  SECRET,
  TEST_CLIENT_OPTIONS,
  captureLog,
  checklistCalls,
  fakeDiagnose,
  startTestApp,
  testConfig,
  until,
  type FakeDiagnose,
} from '../slack/harness.js';

const LOCK_MS = 1000;
const STALLED_CHECK_MS = 300;
/** Worst case: the lock runs out (LOCK_MS after the last renewal), then two stalled checks; plus a loaded machine. */
const RESUME_WITHIN_MS = LOCK_MS + 2 * STALLED_CHECK_MS + 2500;
/** The bound for the defaults. */
const DEFAULT_RESUME_BOUND_MS = 30_000;

let redis: TestRedis;
let slack: FakeSlack;
let api: KubeApiServer;
let app: Awaited<ReturnType<typeof startTestApp>>;
let dir: string;
const log = captureLog('recovery');
const workers: RunningWorker[] = [];
const children: ChildProcess[] = [];

const env = () => ({ REDIS_URL: redis.url, JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64, JWTCHECK_JOB_LOCK_MS: String(LOCK_MS), JWTCHECK_STALLED_CHECK_MS: String(STALLED_CHECK_MS) });

async function survivor(fake: FakeDiagnose): Promise<RunningWorker> {
  const w = await startWorker(testConfig(slack, env(), 'worker'), {
    logger: log.logger,
    health: false,
    clientOptions: TEST_CLIENT_OPTIONS,
    runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
  });
  workers.push(w);
  return w;
}

/** `jwtcheck worker` as its own process, configured only through its environment. */
async function workerProcess(kubeconfig: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'cli.ts'), 'worker'], {
    cwd: REPO_ROOT,
    env: minimalEnv({ ...env(), SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl, HEALTH_PORT: '0', KUBECONFIG: kubeconfig, JWTCHECK_KUBE_TIMEOUT_MS: '600000', LOG_FORMAT: 'json' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  await until(() => output.includes('jwtcheck worker started'), 60_000, `the worker process to start: ${output}`);
  return child;
}

beforeAll(async () => {
  redis = await startRedis();
  slack = await startFakeSlack();
  api = await startKubeApiServer({ objects: [], failing: [{ pattern: '* *', status: 'hang' }] });
  dir = mkdtempSync(join(tmpdir(), 'jwtcheck-recovery-'));
  app = await startTestApp(testConfig(slack, env()), { logger: log.logger });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  while (workers.length > 0) await workers.pop()?.stop(true);
  await app.stop();
  await api.close();
  await slack.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('the default lock and stalled-check intervals resume a dead worker\'s job within 30 s, with room for a slow one', () => {
  expect(DEFAULT_JOB_LOCK_MS + 2 * DEFAULT_STALLED_CHECK_MS).toBeLessThanOrEqual(DEFAULT_RESUME_BOUND_MS);
  // BullMQ renews the lock every half lockDuration: a live diagnosis may block its event loop this long without a false stall.
  expect(DEFAULT_JOB_LOCK_MS / 2).toBeGreaterThanOrEqual(5000);
});

it('a worker process killed mid-diagnosis: the survivor resumes its job within the lock + two stalled checks', async () => {
  const doomed = await workerProcess(api.writeKubeconfig(dir));
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
  await until(() => api.requests.length > 0, 15_000, 'the worker process to read the (hung) cluster');
  doomed.kill('SIGKILL');
  const killedAt = performance.now();

  const fake = fakeDiagnose();
  await survivor(fake);
  await until(() => fake.calls.length === 1, 20_000, 'the survivor to resume the job');
  const resumedAfterMs = performance.now() - killedAt;
  await until(() => checklistCalls(slack).length > 0, 5000, 'the checklist');
  expect(resumedAfterMs).toBeLessThan(RESUME_WITHIN_MS);
  expect(slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined)).toHaveLength(1);
}, 60_000);

it('a diagnosis three lock-durations long on a live worker is not taken for stalled: it runs once', async () => {
  while (workers.length > 0) await workers.pop()?.stop();
  const logFrom = log.text().length;
  // Two live workers share one fake: both run the stalled checker, and a false stall would be a second call.
  const slow = fakeDiagnose({ delayMs: 3 * LOCK_MS });
  await survivor(slow);
  await survivor(slow);
  const before = checklistCalls(slack).length;
  await sendSlashCommand(app.url, SECRET, { text: 'httpbin bar', response_url: slack.responseUrl() });
  await until(() => checklistCalls(slack).length > before, 15_000, 'the slow diagnosis to finish');
  await new Promise((r) => setTimeout(r, 2 * STALLED_CHECK_MS)); // a false stall would start a second run here
  expect(slow.calls).toHaveLength(1);
  expect(log.text().slice(logFrom)).not.toContain('job stalled');
}, 30_000);
