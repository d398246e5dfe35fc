/**
 * `jwtcheck app`: the Slack app. Wiring only — config → access policy → dispatcher (queue producer, or
 * the in-process pool without REDIS_URL) → Bolt listeners → start. The CLI calls stop() on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from './config.js';
import { JwtcheckError } from './errors.js';
import { startHealthServer, type HealthServer } from './health/health-server.js';
import { describeListenError } from './lib/listen-errors.js';
import { createLogger, maskSecrets, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { DiagnosisDispatcher, TokenStash } from './queue/dispatcher.js';
import { DEFAULT_CLUSTER } from './lib/names.js';
import { QueueProducer } from './queue/producer.js';
import { waitUntilReady } from './queue/redis.js';
import type { RuntimeOverrides } from './job/runtime.js';
import { loadAccessPolicy } from './slack/access-file.js';
import { createBoltApp } from './slack/bolt-app.js';
import { createBotDmCheck } from './slack/bot-dm.js';
import { verifySlackToken } from './slack/startup-check.js';
import { slackClientOptions } from './slack/web-client-options.js';
import type { SlackDeps } from './slack/deps.js';
import { registerListeners } from './slack/listeners/index.js';
import { watchSocketConnection } from './slack/socket-connection.js';
import { alertmanagerRoute } from './slack/alerts/alertmanager-route.js';
import { ALERT_REQUESTER } from './job/job-data.js';
import { MemoryAlertState, RedisAlertState, type AlertStateStore } from './store/alert-state.js';
import { MemoryRecentDiagnoses, RedisRecentDiagnoses, type RecentDiagnoses } from './store/recent-diagnoses.js';

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
  /** Socket Mode: ping timeout, which is also the reconnect back-off step (tests shorten it). */
  socketPingTimeoutMs?: number;
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
/** How long stop() waits for Slack to answer the Socket Mode close frame. */
const SOCKET_CLOSE_WAIT_MS = 2000;

export async function startApp(config: Readonly<Config>, deps: AppDeps = {}): Promise<RunningApp> {
  const logger = deps.logger ?? createLogger('jwtcheck-app');
  const metrics = deps.metrics ?? createMetrics();
  const access = await loadAccessPolicy(config.accessFile);
  if (!access) logger.info('no JWTCHECK_ACCESS_FILE: every channel and user may diagnose every namespace');

  // Our own auth.test, so that "cannot reach Slack" and "token refused" read differently; Bolt then skips its own.
  const identity =
    deps.botId && deps.botUserId
      ? { botId: deps.botId, botUserId: deps.botUserId }
      : await verifySlackToken(new WebClient(config.slack.botToken, slackClientOptions(config, logger, deps.clientOptions)), logger);
  // Off unless a token is set: the path then does not exist (404).
  const alerts = config.alerts.token ? alertmanagerRoute(config.alerts.token) : undefined;
  const { app, socket } = createBoltApp(config, {
    logger,
    clientOptions: deps.clientOptions,
    ...(alerts ? { routes: [alerts.route] } : {}),
    ...identity,
    ...(deps.socketPingTimeoutMs ? { socketPingTimeoutMs: deps.socketPingTimeoutMs } : {}),
  });
  const connection = socket ? watchSocketConnection(socket, { logger, metrics }) : undefined;
  try {
    await app.init();
  } catch (err) {
    throw new JwtcheckError('config', `The Slack app could not start (${maskSecrets(err instanceof Error ? err.message : String(err))}): check the SLACK_* settings.`, { cause: err });
  }

  // In-process mode may run without JOB_ENCRYPTION_KEY: a per-process key keeps the sealed path the same.
  const encryptionKey = config.jobEncryptionKey ?? randomBytes(32);
  let dispatcher: DiagnosisDispatcher;
  let stash: TokenStash;
  let alertState: AlertStateStore;
  let recent: RecentDiagnoses;
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
    alertState = new RedisAlertState(producer.redis, producer.hashTagged);
    recent = new RedisRecentDiagnoses(producer.redis, ALERT_REQUESTER, producer.hashTagged);
  } else {
    logger.info({ concurrency: config.concurrency }, 'no Redis configured: diagnoses run inside the app, in a thread of their own');
    alertState = new MemoryAlertState();
    const memory = new MemoryRecentDiagnoses(ALERT_REQUESTER);
    recent = memory;
    // Loaded only here: the queue-mode app never loads the diagnosis code.
    const { startInProcess } = await import('./queue/in-process-setup.js');
    ({ dispatcher, stash } = startInProcess({
      config,
      client: app.client,
      logger,
      encryptionKey,
      metrics,
      remember: (user, entry) => memory.add(user, entry),
      ...(deps.runtime ? { overrides: deps.runtime } : {}),
      ...(deps.clientOptions ? { clientOptions: deps.clientOptions } : {}),
    }));
  }

  const slackDeps: SlackDeps = { access, isBotDm: createBotDmCheck(logger), dispatcher, stash, recent, encryptionKey, logger, metrics, ...(deps.now ? { now: deps.now } : {}) };
  registerListeners(app, slackDeps);
  alerts?.attach({
    slack: slackDeps,
    client: app.client,
    state: alertState,
    recent,
    defaultChannel: config.alerts.channel,
    refreshMs: config.alerts.refreshMs,
    now: deps.now ?? (() => new Date()),
  });
  app.error(async (err) => {
    // Listeners report to the user themselves; this catches what Bolt itself hit (e.g. a failed ack).
    logger.error({ err: { message: maskSecrets(err.message), code: (err as { code?: string }).code } }, 'bolt error');
  });

  let port: number | undefined;
  let health: HealthServer | undefined;
  try {
    const server = await app
      .start(config.slack.appToken ? config.slack.port : { port: config.slack.port, ...(deps.host ? { host: deps.host } : {}) })
      .catch((err: unknown) => {
        throw describeListenError(err, 'PORT', config.slack.port);
      });
    const address = server?.address?.();
    port = typeof address === 'object' && address !== null ? (address as AddressInfo).port : undefined;
    if (deps.health !== false) {
      health = await startHealthServer({
        port: config.healthPort,
        readiness: { queue: () => dispatcher.check(), ...(connection ? { slack: connection.probe } : {}) },
        ...(producer ? { redis: () => producer.connection() } : {}),
        registry: metrics.registry,
      });
    }
  } catch (err) {
    await app.stop().catch(() => undefined);
    await dispatcher.close();
    throw err;
  }
  logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port, dispatch: dispatcher.mode, alertmanager: alerts !== undefined }, 'jwtcheck app started');

  return {
    port,
    healthPort: health?.port,
    dispatcher,
    async stop() {
      const socketClosed = connection?.closed(SOCKET_CLOSE_WAIT_MS);
      await app.stop().catch((err: unknown) => logger.warn({ err }, 'error while stopping Bolt'));
      await socketClosed;
      await dispatcher.close();
      if ((stash as unknown) !== dispatcher) await stash.close(); // the producer is both
      await health?.close();
      logger.info('jwtcheck app stopped');
    },
  };
}
