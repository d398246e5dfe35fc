/**
 * Benchmark 4: how fast the Slack app answers `/jwtcheck` in queue mode. The real app (Bolt HTTP receiver, real
 * listeners, QueueProducer) runs in a child process against a real redis-server and the fake Slack Web API of
 * test/support/slack-api.ts; this process sends ACK_COMMANDS signed slash commands at once (distinct trigger ids,
 * so none is deduplicated) and times each until Bolt answers. Slack gives an app 3 s. The baseline, in the same
 * run and interleaved burst by burst, is a bare Bolt app (same @slack/bolt, HTTP receiver, a listener that only
 * acks) in its own child: the goal is app p99 ≤ 1.2× its p99 (issue 12), and app heap ≤ 1.5× its heap.
 * The ack goes out before the queue is touched (src/slack/listeners/commands/jwtcheck.ts), so the count of
 * enqueued jobs is checked separately: every acknowledged command must become exactly one job.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startFakeSlack, type FakeSlack } from '../test/support/slack-api.js';
import { startRedis, type TestRedis } from '../test/support/redis.js';
import { sendSlashCommand } from '../test/support/slack-request.js';
import { quantile } from './diagnosis-time.js';
import { RoleProcess } from './role-client.js';

export const ACK_COMMANDS = 200;
export const ACK_GOAL_P99_MS = 100;
export const ACK_GOAL_RATIO = 1.2;
export const HEAP_GOAL_RATIO = 1.5;
/** Bursts per contender, alternating which goes first. */
export const ACK_ROUNDS = 3;
const SMALL_BURST = 50;
export const SLACK_ACK_DEADLINE_MS = 3000;
const ALONE_COMMANDS = 100;
const SIGNING_SECRET = 'bench-signing-secret';
const ENQUEUE_WAIT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

/** Redis + fake Slack + the app child, shared by the ack and throughput benchmarks. */
export interface QueueBench {
  redis: TestRedis;
  slack: FakeSlack;
  app: RoleProcess;
  /** The app's /slack/events URL. */
  url: string;
  /** The bare Bolt baseline and its URL. */
  bolt: RoleProcess;
  boltUrl: string;
  /** The environment app and workers are configured with. */
  env: Record<string, string>;
  inspect: Redis;
}

export interface AckLatencyResult {
  commands: number;
  rounds: number;
  answered200: number;
  /** Medians over the rounds of each burst's p50/p99/max. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  goalP99Ms: number;
  goalMet: boolean;
  /** The bare Bolt baseline, bursts interleaved with the app's. */
  boltP50Ms: number;
  boltP99Ms: number;
  /** Median of the per-round ratios app p99 / bare Bolt p99. */
  ratioP99: number;
  goalRatio: number;
  ratioGoalMet: boolean;
  /** The app's p99 for SMALL_BURST commands at once (goal < ACK_GOAL_P99_MS). */
  smallBurst: number;
  smallBurstP99Ms: number;
  /** Heap after a full GC, after the bursts: the app vs bare Bolt. */
  appHeapMiB: number;
  boltHeapMiB: number;
  heapRatio: number;
  heapGoalMet: boolean;
  enqueued: number;
  /** Wall time from the first command to the last job in Redis. */
  allEnqueuedAfterMs: number;
  /** The same command sent ALONE_COMMANDS times one after another: the latency without queueing. */
  aloneP50Ms: number;
  aloneP99Ms: number;
  /** CPU seconds the app process used for the burst (acks + enqueueing), and per command. */
  appCpuSeconds: number;
  appCpuMsPerCommand: number;
  /** Peak RSS of the app child after the burst (the app alone, not this process). */
  appRssMiB: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startQueueBench(): Promise<QueueBench> {
  const redis = await startRedis();
  const slack = await startFakeSlack();
  const env = {
    REDIS_URL: redis.url,
    JOB_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    HEALTH_PORT: '0',
  };
  const inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const { role: app, port } = await RoleProcess.start({ role: 'app', env });
    const { role: bolt, port: boltPort } = await RoleProcess.start({ role: 'bolt', env });
    return { redis, slack, app, url: `http://127.0.0.1:${port ?? 0}/slack/events`, bolt, boltUrl: `http://127.0.0.1:${boltPort ?? 0}/slack/events`, env, inspect };
  } catch (err) {
    inspect.disconnect();
    await slack.close();
    await redis.stop();
    throw err;
  }
}

export async function stopQueueBench(q: QueueBench): Promise<number | undefined> {
  const stats = await q.app.stop();
  await q.bolt.stop();
  q.inspect.disconnect();
  await q.slack.close();
  await q.redis.stop();
  return stats?.maxRssMiB;
}

/** Sends `count` signed `/jwtcheck <text>` commands at once; resolves with each one's answer time. */
export async function sendCommands(q: Pick<QueueBench, 'url' | 'slack'>, count: number, text: string, url = q.url): Promise<{ status: number; ms: number }[]> {
  const batch = randomBytes(4).toString('hex');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      sendSlashCommand(url, SIGNING_SECRET, { text, trigger_id: `${batch}.${i}`, response_url: q.slack.responseUrl(`${batch}-${i}`) }),
    ),
  );
}

export const median = (values: readonly number[]): number => quantile([...values].sort((a, b) => a - b), 0.5);

export function percentiles(answers: readonly { ms: number }[]): { p50: number; p99: number; max: number } {
  const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN };
}

export async function waitingJobs(q: QueueBench): Promise<number> {
  return q.inspect.llen('bull:jwtcheck:wait');
}

export async function benchAckLatency(q: QueueBench): Promise<AckLatencyResult> {
  await q.inspect.flushall();
  // Warm-up: the first request pays for lazy loading in Bolt and the first Redis round trips.
  await sendCommands(q, 5, 'checkout shop');
  const alone: number[] = [];
  for (let i = 0; i < ALONE_COMMANDS; i += 1) alone.push((await sendCommands(q, 1, 'checkout shop'))[0]?.ms ?? NaN);
  alone.sort((a, b) => a - b);
  await sleep(200);
  await q.inspect.flushall();

  await sendCommands(q, 5, 'checkout shop', q.boltUrl);
  const app: ReturnType<typeof percentiles>[] = [];
  const bolt: ReturnType<typeof percentiles>[] = [];
  const small: number[] = [];
  let answered200 = 0;
  let enqueued = Infinity;
  let allEnqueuedAfterMs = 0;
  let appCpuSeconds = 0;
  for (let round = 0; round < ACK_ROUNDS; round += 1) {
    // Alternate who goes first, so neither always meets a machine warmed (or loaded) by the other.
    if (round % 2 === 1) bolt.push(percentiles(await sendCommands(q, ACK_COMMANDS, 'checkout shop', q.boltUrl)));
    await q.inspect.flushall();
    const cpuBefore = (await q.app.stats()).cpuSeconds;
    const started = performance.now();
    const answers = await sendCommands(q, ACK_COMMANDS, 'checkout shop');
    app.push(percentiles(answers));
    answered200 += answers.filter((a) => a.status === 200).length;
    let inRedis = await waitingJobs(q);
    const deadline = Date.now() + ENQUEUE_WAIT_MS;
    while (inRedis < ACK_COMMANDS && Date.now() < deadline) {
      await sleep(POLL_INTERVAL_MS);
      inRedis = await waitingJobs(q);
    }
    allEnqueuedAfterMs = Math.max(allEnqueuedAfterMs, performance.now() - started);
    // A few more polls: more than ACK_COMMANDS jobs would mean a duplicate.
    await sleep(200);
    enqueued = Math.min(enqueued, await waitingJobs(q));
    appCpuSeconds += (await q.app.stats()).cpuSeconds - cpuBefore;
    if (round % 2 === 0) bolt.push(percentiles(await sendCommands(q, ACK_COMMANDS, 'checkout shop', q.boltUrl)));
    await sleep(200);
    small.push(percentiles(await sendCommands(q, SMALL_BURST, 'checkout shop')).p99);
  }
  await q.inspect.flushall();
  const p99Ms = median(app.map((a) => a.p99));
  const ratioP99 = median(app.map((a, i) => a.p99 / (bolt[i]?.p99 ?? NaN)));
  const appHeapMiB = (await q.app.stats()).heapUsedMiB;
  const boltHeapMiB = (await q.bolt.stats()).heapUsedMiB;
  const stats = await q.app.stats();
  return {
    commands: ACK_COMMANDS,
    rounds: ACK_ROUNDS,
    answered200,
    p50Ms: median(app.map((a) => a.p50)),
    p99Ms,
    maxMs: median(app.map((a) => a.max)),
    goalP99Ms: ACK_GOAL_P99_MS,
    goalMet: p99Ms < ACK_GOAL_P99_MS && answered200 === ACK_COMMANDS * ACK_ROUNDS && enqueued === ACK_COMMANDS,
    boltP50Ms: median(bolt.map((b) => b.p50)),
    boltP99Ms: median(bolt.map((b) => b.p99)),
    ratioP99,
    goalRatio: ACK_GOAL_RATIO,
    ratioGoalMet: ratioP99 <= ACK_GOAL_RATIO,
    smallBurst: SMALL_BURST,
    smallBurstP99Ms: median(small),
    appHeapMiB,
    boltHeapMiB,
    heapRatio: appHeapMiB / boltHeapMiB,
    heapGoalMet: appHeapMiB / boltHeapMiB <= HEAP_GOAL_RATIO,
    enqueued,
    allEnqueuedAfterMs,
    aloneP50Ms: quantile(alone, 0.5),
    aloneP99Ms: quantile(alone, 0.99),
    appCpuSeconds,
    appCpuMsPerCommand: (appCpuSeconds * 1000) / (ACK_COMMANDS * ACK_ROUNDS),
    appRssMiB: stats.maxRssMiB,
  };
}
