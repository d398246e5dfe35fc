import { CLUSTER_RULE, isSlackChannelId, isValidCluster } from './lib/names.js';
import { JwtcheckError } from './errors.js';
import { parseRedisSettings, type RedisSettings } from './lib/redis-settings.js';

/** DESIGN §6. The only reader of process.env; reports every problem at once. */
export interface Config {
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    port: number;
  };
  redisUrl?: string;
  /** The queue's Redis (REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES); undefined: in-process mode. */
  redis?: RedisSettings;
  /** 32 bytes, decoded from JOB_ENCRYPTION_KEY. */
  jobEncryptionKey?: Buffer;
  rootNamespace: string;
  accessFile?: string;
  fetchTimeoutMs: number;
  /** One deadline for all Kubernetes requests of a diagnosis (CLI: --timeout overrides it). */
  kubeTimeoutMs: number;
  logLines: number;
  /** Port of the small health/metrics server: default 9464 for the app, 9465 for the worker. */
  healthPort: number;
  /** Diagnoses run at once in one process (worker concurrency, or in-process mode). */
  concurrency: number;
  /** HTTP(S)_PROXY / NO_PROXY (lower case first, as curl and undici read them): for issuer fetches only. */
  proxy: ProxySettings;
  /** Worker only: how long a job's lock lasts without renewal, and how often stalled jobs are looked for. */
  jobLockMs: number;
  stalledCheckMs: number;
  /** Worker only: serve `/jwtcheck … --cluster NAME` (queue jwtcheck:NAME) instead of the default queue. */
  cluster?: string;
  /** Alertmanager webhook (POST /alertmanager): its bearer token (unset = endpoint off), default channel, refresh interval. */
  alerts: { token?: string; channel?: string; refreshMs: number };
}

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export const DEFAULT_PORT = 3000;
/** Distinct per role, so `jwtcheck app` and `jwtcheck worker` run side by side on one host with their defaults. */
export const DEFAULT_HEALTH_PORTS = { app: 9464, worker: 9465 } as const;
export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
/** A healthy API answers a diagnosis' dozen reads in well under a second; 10 s is kubectl-like patience. */
export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;
export const MAX_KUBE_TIMEOUT_MS = 600_000;
export const DEFAULT_LOG_LINES = 500;
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_CONCURRENCY = 4;
/**
 * A killed worker's job is resumed once its lock has run out and a stalled check has seen it twice: at worst
 * lock + 2 × check = 25 s (BullMQ's defaults, 30 s + 30 s, took about 69 s). BullMQ renews the lock every half
 * lock (7.5 s), so a live diagnosis is only taken for stalled if its event loop stalls that long.
 */
export const DEFAULT_JOB_LOCK_MS = 15_000;
export const DEFAULT_STALLED_CHECK_MS = 5_000;
/** Alertmanager re-sends a firing alert every repeat_interval; one thread is re-diagnosed at most this often. */
export const DEFAULT_ALERT_REFRESH_MS = 30 * 60 * 1000;
const MAX_LOG_LINES = 10_000;
const JOB_KEY_BYTES = 32;

type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Which role the process plays: decides which variables are required. */
  role: 'cli' | 'app' | 'worker';
}

export function loadConfig(env: Env = process.env, options: LoadConfigOptions = { role: 'cli' }): Readonly<Config> {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`);
      return fallback;
    }
    return value;
  };

  const slack = {
    botToken: text('SLACK_BOT_TOKEN'),
    signingSecret: text('SLACK_SIGNING_SECRET'),
    appToken: text('SLACK_APP_TOKEN'),
    apiUrl: text('SLACK_API_URL'),
    port: int('PORT', DEFAULT_PORT, 0, 65535),
  };
  if (options.role === 'app') {
    if (!slack.botToken) problems.push('SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from the Slack app settings.');
    if (!slack.appToken && !slack.signingSecret) {
      problems.push('SLACK_SIGNING_SECRET is not set (HTTP mode): copy it from the Slack app\'s Basic Information page, or set SLACK_APP_TOKEN for Socket Mode.');
    }
  }
  if (options.role === 'worker' && !slack.botToken) {
    problems.push('SLACK_BOT_TOKEN is not set: the worker posts the results to Slack with it.');
  }

  const redisUrl = text('REDIS_URL');
  const redis = parseRedisSettings(
    {
      url: redisUrl,
      sentinels: text('REDIS_SENTINELS'),
      sentinelName: text('REDIS_SENTINEL_NAME'),
      clusterNodes: text('REDIS_CLUSTER_NODES'),
      caFile: text('REDIS_CA_FILE'),
    },
    problems,
  );
  let jobEncryptionKey: Buffer | undefined;
  const rawKey = text('JOB_ENCRYPTION_KEY');
  if (rawKey) {
    const decoded = Buffer.from(rawKey, 'base64');
    if (decoded.length !== JOB_KEY_BYTES) {
      problems.push(`JOB_ENCRYPTION_KEY must be ${JOB_KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32).`);
    } else {
      jobEncryptionKey = decoded;
    }
  } else if (redis && options.role !== 'cli') {
    problems.push('JOB_ENCRYPTION_KEY is required with a Redis queue (it seals tokens in queued jobs): make one with: openssl rand -base64 32.');
  }

  const config: Config = {
    slack,
    redisUrl,
    ...(redis ? { redis } : {}),
    jobEncryptionKey,
    rootNamespace: text('ISTIO_ROOT_NAMESPACE') ?? DEFAULT_ROOT_NAMESPACE,
    accessFile: text('JWTCHECK_ACCESS_FILE'),
    fetchTimeoutMs: int('JWTCHECK_FETCH_TIMEOUT_MS', DEFAULT_FETCH_TIMEOUT_MS, 100, 120_000),
    kubeTimeoutMs: int('JWTCHECK_KUBE_TIMEOUT_MS', DEFAULT_KUBE_TIMEOUT_MS, 100, MAX_KUBE_TIMEOUT_MS),
    logLines: int('JWTCHECK_LOG_LINES', DEFAULT_LOG_LINES, 0, MAX_LOG_LINES),
    healthPort: int('HEALTH_PORT', options.role === 'worker' ? DEFAULT_HEALTH_PORTS.worker : DEFAULT_HEALTH_PORTS.app, 0, 65535),
    concurrency: int('JWTCHECK_CONCURRENCY', DEFAULT_CONCURRENCY, 1, 64),
    jobLockMs: int('JWTCHECK_JOB_LOCK_MS', DEFAULT_JOB_LOCK_MS, 500, 600_000),
    stalledCheckMs: int('JWTCHECK_STALLED_CHECK_MS', DEFAULT_STALLED_CHECK_MS, 100, 600_000),
    cluster: text('JWTCHECK_CLUSTER'),
    proxy: proxySettings(text),
    alerts: {
      token: text('JWTCHECK_ALERTMANAGER_TOKEN'),
      channel: text('JWTCHECK_ALERT_CHANNEL'),
      refreshMs: DEFAULT_ALERT_REFRESH_MS,
    },
  };
  const refresh = text('JWTCHECK_ALERT_REFRESH');
  if (refresh !== undefined) {
    const ms = parseDurationMs(refresh);
    if (ms === undefined || ms < 1000) problems.push(`JWTCHECK_ALERT_REFRESH must be a duration such as 30m or 1h (got "${refresh}").`);
    else config.alerts.refreshMs = ms;
  }
  if (config.alerts.channel !== undefined && !isSlackChannelId(config.alerts.channel)) {
    problems.push(`JWTCHECK_ALERT_CHANNEL must be a Slack channel id such as C0123456789 (the channel's "Copy link" ends with it; got "${config.alerts.channel}").`);
  }
  for (const [name, value] of [['HTTP_PROXY', config.proxy.httpProxy], ['HTTPS_PROXY', config.proxy.httpsProxy]] as const) {
    // The value is not repeated: a proxy URL may carry a password.
    if (value !== undefined && !/^https?:\/\/[^/]/i.test(value)) problems.push(`${name} must be an http:// or https:// URL such as http://proxy.corp:3128.`);
  }
  if (config.cluster !== undefined && !isValidCluster(config.cluster)) {
    problems.push(`JWTCHECK_CLUSTER must be a cluster name like "prod-eu" (${CLUSTER_RULE}; got "${config.cluster}").`);
  }
  if (problems.length > 0) {
    throw new JwtcheckError('config', `Configuration problems:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze(config);
}

/** `90s`, `30m`, `1h`, `1h30m` (Prometheus' duration units up to hours); undefined when not one. */
export function parseDurationMs(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d{1,6}(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(n) * (units[unit ?? ''] ?? 0);
  return total;
}

function proxySettings(text: (name: string) => string | undefined): ProxySettings {
  const httpProxy = text('http_proxy') ?? text('HTTP_PROXY');
  const httpsProxy = text('https_proxy') ?? text('HTTPS_PROXY');
  const noProxy = text('no_proxy') ?? text('NO_PROXY');
  return {
    ...(httpProxy !== undefined ? { httpProxy } : {}),
    ...(httpsProxy !== undefined ? { httpsProxy } : {}),
    ...(noProxy !== undefined ? { noProxy } : {}),
  };
}
