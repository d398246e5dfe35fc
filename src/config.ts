import { CLUSTER_RULE, isValidCluster } from './lib/names.js';
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
  logLines: number;
  /** Port of the small health/metrics server of app and worker. */
  healthPort: number;
  /** Diagnoses run at once in one process (worker concurrency, or in-process mode). */
  concurrency: number;
  /** Worker only: serve `/jwtcheck … --cluster NAME` (queue jwtcheck:NAME) instead of the default queue. */
  cluster?: string;
}

export const DEFAULT_PORT = 3000;
export const DEFAULT_HEALTH_PORT = 9464;
export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
export const DEFAULT_LOG_LINES = 500;
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_CONCURRENCY = 4;
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
    logLines: int('JWTCHECK_LOG_LINES', DEFAULT_LOG_LINES, 0, MAX_LOG_LINES),
    healthPort: int('HEALTH_PORT', DEFAULT_HEALTH_PORT, 0, 65535),
    concurrency: int('JWTCHECK_CONCURRENCY', DEFAULT_CONCURRENCY, 1, 64),
    cluster: text('JWTCHECK_CLUSTER'),
  };
  if (config.cluster !== undefined && !isValidCluster(config.cluster)) {
    problems.push(`JWTCHECK_CLUSTER must be a cluster name like "prod-eu" (${CLUSTER_RULE}; got "${config.cluster}").`);
  }
  if (problems.length > 0) {
    throw new JwtcheckError('config', `Configuration problems:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze(config);
}
