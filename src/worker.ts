/**
 * `jwtcheck worker`: consumes the queue and posts results to Slack. Loads no web stack (no Bolt): a
 * WebClient is all it needs. Reconnects to Redis forever; stop() lets the running job finish.
 */
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Worker } from 'bullmq';
import type { Config } from './config.js';
import { JwtcheckError } from './errors.js';
import { startHealthServer, type HealthServer } from './health/health-server.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createConsumer } from './queue/consumer.js';
import { DEFAULT_CLUSTER } from './lib/names.js';
import { queueLocation } from './job/job-data.js';
import { createRedisClient, describeConnection, needsHashTags } from './queue/redis.js';
import { ALERT_REQUESTER } from './job/job-data.js';
import { RedisRecentDiagnoses } from './store/recent-diagnoses.js';
import { createDiagnosisRuntime, type RuntimeOverrides } from './job/runtime.js';
import { slackClientOptions } from './slack/web-client-options.js';

export interface WorkerDeps {
  logger?: Logger;
  /** The cluster this worker serves (queue `jwtcheck:<cluster>`); default: the `jwtcheck` queue. */
  cluster?: string;
  clientOptions?: Partial<WebClientOptions>;
  runtime?: RuntimeOverrides;
  metrics?: Metrics;
  health?: boolean;
  /** Override JWTCHECK_JOB_LOCK_MS / JWTCHECK_STALLED_CHECK_MS (tests). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface RunningWorker {
  worker: Worker;
  healthPort: number | undefined;
  /** force: return at once, leaving the active job to be recovered as stalled (tests, second SIGTERM). */
  stop(force?: boolean): Promise<void>;
}

export async function startWorker(config: Readonly<Config>, deps: WorkerDeps = {}): Promise<RunningWorker> {
  const logger = deps.logger ?? createLogger('jwtcheck-worker');
  const redis = config.redis;
  if (!redis) throw new JwtcheckError('config', 'REDIS_URL is not set: the worker reads jobs from Redis. Set it (or REDIS_SENTINELS / REDIS_CLUSTER_NODES), or run only `jwtcheck app`, which then diagnoses in-process.');
  if (!config.slack.botToken) throw new JwtcheckError('config', 'SLACK_BOT_TOKEN is not set: the worker posts the results to Slack with it.');
  const cluster = deps.cluster ?? DEFAULT_CLUSTER;
  const metrics = deps.metrics ?? createMetrics();
  const client = new WebClient(config.slack.botToken, slackClientOptions(config, logger, deps.clientOptions));
  // App Home's list is written here, where each diagnosis ends; a fail-fast client so an outage cannot hold a job.
  const recentRedis = createRedisClient(redis, 'producer');
  recentRedis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis (recent diagnoses) error'));
  const recent = new RedisRecentDiagnoses(recentRedis, ALERT_REQUESTER, needsHashTags(redis));
  const runtime = createDiagnosisRuntime(config, client, logger, config.jobEncryptionKey, metrics, {
    // A worker serves one cluster through its own kubeconfig/service account, whatever the label.
    kubeContextFor: () => undefined,
    ...deps.runtime,
    remember: (user, entry) => recent.add(user, entry),
  });
  const connection = createRedisClient(redis, 'worker');
  connection.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis (worker) error'));
  const worker = createConsumer({
    connection,
    hashTagged: needsHashTags(redis),
    cluster,
    runtime,
    concurrency: config.concurrency,
    logger,
    lockDurationMs: deps.lockDurationMs ?? config.jobLockMs,
    stalledIntervalMs: deps.stalledIntervalMs ?? config.stalledCheckMs,
  });
  let health: HealthServer | undefined;
  if (deps.health !== false) {
    try {
      health = await startHealthServer({
        port: config.healthPort,
        readiness: {
          redis: async () => {
            await connection.ping();
          },
        },
        redis: () => describeConnection(connection, redis),
        registry: metrics.registry,
      });
    } catch (err) {
      // The consumer and its connection are already open: left behind, they keep the process alive.
      await worker.close(true);
      connection.disconnect();
      recentRedis.disconnect();
      throw err;
    }
  }
  await worker.waitUntilReady();
  logger.info({ queue: queueLocation(cluster).label, redis: redis.topology, concurrency: config.concurrency }, 'jwtcheck worker started');
  return {
    worker,
    healthPort: health?.port,
    async stop(force = false) {
      await worker.close(force);
      connection.disconnect();
      recentRedis.disconnect();
      await health?.close();
      logger.info('jwtcheck worker stopped');
    },
  };
}
