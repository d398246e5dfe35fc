/**
 * Benchmark 4: how fast the Slack app answers `/jwtcheck` in queue mode. The real app (Bolt HTTP receiver, real
 * listeners, QueueProducer) runs in a child process against a real redis-server and the fake Slack Web API of
 * test/support/slack-api.ts; this process sends ACK_COMMANDS signed slash commands at once (distinct trigger ids,
 * so none is deduplicated) and times each until Bolt answers. Slack gives an app 3 s; the goal is p99 < 100 ms.
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
  /** The environment app and workers are configured with. */
  env: Record<string, string>;
  inspect: Redis;
}

export interface AckLatencyResult {
  commands: number;
  answered200: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  goalP99Ms: number;
  goalMet: boolean;
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
    return { redis, slack, app, url: `http://127.0.0.1:${port ?? 0}/slack/events`, env, inspect };
  } catch (err) {
    inspect.disconnect();
    await slack.close();
    await redis.stop();
    throw err;
  }
}

export async function stopQueueBench(q: QueueBench): Promise<number | undefined> {
  const stats = await q.app.stop();
  q.inspect.disconnect();
  await q.slack.close();
  await q.redis.stop();
  return stats?.maxRssMiB;
}

/** Sends `count` signed `/jwtcheck <text>` commands at once; resolves with each one's answer time. */
export async function sendCommands(q: QueueBench, count: number, text: string): Promise<{ status: number; ms: number }[]> {
  const batch = randomBytes(4).toString('hex');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      sendSlashCommand(q.url, SIGNING_SECRET, { text, trigger_id: `${batch}.${i}`, response_url: q.slack.responseUrl(`${batch}-${i}`) }),
    ),
  );
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

  const cpuBefore = (await q.app.stats()).cpuSeconds;
  const started = performance.now();
  const answers = await sendCommands(q, ACK_COMMANDS, 'checkout shop');
  let enqueued = await waitingJobs(q);
  const deadline = Date.now() + ENQUEUE_WAIT_MS;
  while (enqueued < ACK_COMMANDS && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
    enqueued = await waitingJobs(q);
  }
  const allEnqueuedAfterMs = performance.now() - started;
  // A few more polls: more than ACK_COMMANDS jobs would mean a duplicate.
  await sleep(200);
  enqueued = await waitingJobs(q);

  const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
  const p99Ms = quantile(sorted, 0.99);
  const stats = await q.app.stats();
  const appCpuSeconds = stats.cpuSeconds - cpuBefore;
  return {
    commands: ACK_COMMANDS,
    answered200: answers.filter((a) => a.status === 200).length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms,
    maxMs: sorted.at(-1) ?? NaN,
    goalP99Ms: ACK_GOAL_P99_MS,
    goalMet: p99Ms < ACK_GOAL_P99_MS && answers.every((a) => a.status === 200) && enqueued === ACK_COMMANDS,
    enqueued,
    allEnqueuedAfterMs,
    aloneP50Ms: quantile(alone, 0.5),
    aloneP99Ms: quantile(alone, 0.99),
    appCpuSeconds,
    appCpuMsPerCommand: (appCpuSeconds * 1000) / ACK_COMMANDS,
    appRssMiB: stats.maxRssMiB,
  };
}
