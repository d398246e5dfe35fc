/**
 * `jwtcheck app`: the Slack app. Wiring only — config → access policy → dispatcher (queue producer, or
 * the in-process pool without REDIS_URL) → Bolt listeners → start. The CLI calls stop() on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { WebClientOptions } from '@slack/web-api';
import type { Config } from './config.js';
import { JwtcheckError } from './errors.js';
import { startHealthServer, type HealthServer } from './health/health-server.js';
import { createLogger, maskSecrets, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { DiagnosisDispatcher, TokenStash } from './queue/dispatcher.js';
import { InProcessDispatcher, MemoryTokenStash } from './queue/in-process.js';
import { DEFAULT_CLUSTER } from './lib/names.js';
import { QueueProducer } from './queue/producer.js';
import { waitUntilReady } from './queue/redis.js';
import { createDiagnosisRuntime, type RuntimeOverrides } from './job/runtime.js';
import { loadAccessPolicy } from './slack/access-file.js';
import { createBoltApp } from './slack/bolt-app.js';
import type { SlackDeps } from './slack/deps.js';
import { registerListeners } from './slack/listeners/index.js';

export interface AppDeps {
  logger?: Logger;
  /** Interface for the Slack HTTP port (default: all). */
  host?: string;
  clientOptions?: Partial<WebClientOptions>;
  botId?: string;
  botUserId?: string;
  /** In-process mode only: replace parts of the diagnosis (tests). */
  runtime?: RuntimeOverrides;
  metrics?: Metrics;
  /** false: no health/metrics server (tests that run several apps). */
  health?: boolean;
  now?: () => Date;
}

export interface RunningApp {
  /** The Slack HTTP port (HTTP mode). */
  port: number | undefined;
  healthPort: number | undefined;
  dispatcher: DiagnosisDispatcher;
  stop(): Promise<void>;
}

/** How long start-up waits for Redis before going on (readiness then reports it). */
const REDIS_STARTUP_WAIT_MS = 3000;

export async function startApp(config: Readonly<Config>, deps: AppDeps = {}): Promise<RunningApp> {
  const logger = deps.logger ?? createLogger('jwtcheck-app');
  const metrics = deps.metrics ?? createMetrics();
  const access = await loadAccessPolicy(config.accessFile);
  if (!access) logger.info('no JWTCHECK_ACCESS_FILE: every channel and user may diagnose every namespace');

  const app = createBoltApp(config, { logger, clientOptions: deps.clientOptions, botId: deps.botId, botUserId: deps.botUserId });
  try {
    await app.init();
  } catch (err) {
    throw new JwtcheckError(
      'config',
      `Slack did not accept SLACK_BOT_TOKEN (${maskSecrets(err instanceof Error ? err.message : String(err))}): copy the Bot User OAuth Token (xoxb-…) from the app settings again.`,
      { cause: err },
    );
  }

  // In-process mode may run without JOB_ENCRYPTION_KEY: a per-process key keeps the sealed path the same.
  const encryptionKey = config.jobEncryptionKey ?? randomBytes(32);
  let dispatcher: DiagnosisDispatcher;
  let stash: TokenStash;
  const producer = config.redis ? new QueueProducer({ redis: config.redis, logger }) : undefined;
  if (producer) {
    if (!(await waitUntilReady(producer.redis, REDIS_STARTUP_WAIT_MS))) {
      logger.warn('Redis is not answering yet; commands will be told the queue is unavailable until it does');
    }
    metrics.setQueueCounter(async () => {
      const counts = await producer.queueFor(DEFAULT_CLUSTER).getJobCounts('waiting', 'active');
      return { waiting: counts['waiting'] ?? 0, active: counts['active'] ?? 0 };
    });
    dispatcher = producer;
    stash = producer;
  } else {
    logger.info({ concurrency: config.concurrency }, 'no Redis configured: diagnoses run inside the app');
    const runtime = createDiagnosisRuntime(config, app.client, logger, encryptionKey, metrics, deps.runtime);
    dispatcher = new InProcessDispatcher({ concurrency: config.concurrency, runtime, logger });
    stash = new MemoryTokenStash();
  }

  const slackDeps: SlackDeps = { access, dispatcher, stash, encryptionKey, logger, metrics, ...(deps.now ? { now: deps.now } : {}) };
  registerListeners(app, slackDeps);
  app.error(async (err) => {
    // Listeners report to the user themselves; this catches what Bolt itself hit (e.g. a failed ack).
    logger.error({ err: { message: maskSecrets(err.message), code: (err as { code?: string }).code } }, 'bolt error');
  });

  let port: number | undefined;
  let health: HealthServer | undefined;
  try {
    const server = await app.start(config.slack.appToken ? config.slack.port : { port: config.slack.port, ...(deps.host ? { host: deps.host } : {}) });
    const address = server?.address?.();
    port = typeof address === 'object' && address !== null ? (address as AddressInfo).port : undefined;
    if (deps.health !== false) {
      health = await startHealthServer({
        port: config.healthPort,
        readiness: { queue: () => dispatcher.check() },
        ...(producer ? { redis: () => producer.connection() } : {}),
        registry: metrics.registry,
      });
    }
  } catch (err) {
    await app.stop().catch(() => undefined);
    await dispatcher.close();
    throw err;
  }
  logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port, dispatch: dispatcher.mode }, 'jwtcheck app started');

  return {
    port,
    healthPort: health?.port,
    dispatcher,
    async stop() {
      await app.stop().catch((err: unknown) => logger.warn({ err }, 'error while stopping Bolt'));
      await dispatcher.close();
      if ((stash as unknown) !== dispatcher) await stash.close(); // the producer is both
      await health?.close();
      logger.info('jwtcheck app stopped');
    },
  };
}
