/**
 * The one place that builds Redis clients (the app's producer, which also holds the dedup and stash keys,
 * and the worker's connection) from the configured topology: a single server, a Sentinel-managed primary
 * or a Redis Cluster, each optionally over TLS with a user and password. Nothing here puts the password in
 * a message: the Redis is always described by its addresses.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { JwtcheckError } from '../errors.js';
import type { RedisConnectionInfo, RedisSettings } from '../lib/redis-settings.js';

export type RedisClient = Redis | Cluster;

/**
 * producer: Slack handlers wait on it, so no offline queue and one retry per command: a call made while
 * Redis is down rejects at once instead of hanging until Slack's 3-second deadline (STACK §5).
 * worker: blocks on Redis and must survive outages; BullMQ requires maxRetriesPerRequest null.
 */
export type RedisRole = 'producer' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep reconnecting in the background, but never faster than every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  },
  worker: { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 500, 5000) },
};

/** Whether keys must carry a hash tag (Redis Cluster refuses multi-key scripts across slots). */
export function needsHashTags(settings: RedisSettings): boolean {
  return settings.topology === 'cluster';
}

export function createRedisClient(settings: RedisSettings, role: RedisRole): RedisClient {
  const tls = tlsOptions(settings);
  const auth: RedisOptions = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(tls ? { tls } : {}),
  };
  if (settings.topology === 'cluster') {
    const { enableOfflineQueue, retryStrategy, ...perNode } = ROLE_OPTIONS[role];
    const options: ClusterOptions = {
      redisOptions: { ...perNode, ...auth },
      ...(enableOfflineQueue === false ? { enableOfflineQueue } : {}),
      clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) : null) ?? null,
    };
    return new Cluster(settings.nodes, options);
  }
  const db = settings.db !== undefined ? { db: settings.db } : {};
  if (settings.topology === 'sentinel') {
    return new Redis({
      ...ROLE_OPTIONS[role],
      ...auth,
      ...db,
      sentinels: settings.nodes,
      name: settings.sentinelName ?? '',
      // TLS to the sentinels as well as to the primary: managed offerings encrypt both or neither.
      ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      // Subscribes to the sentinels' +switch-master, so a failover is noticed at once, not at the next error.
      failoverDetector: true,
      // A demoted primary answers writes with READONLY: reconnect (asking the sentinels again) and resend.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    });
  }
  const node = settings.nodes[0] ?? { host: '127.0.0.1', port: 6379 };
  return new Redis({ ...ROLE_OPTIONS[role], ...auth, ...db, host: node.host, port: node.port });
}

/** For /readyz: which topology the client is connected to and where (addresses only). */
export function describeConnection(client: RedisClient, settings: RedisSettings): RedisConnectionInfo {
  const info = { topology: settings.topology, tls: settings.tls };
  if (client instanceof Cluster) {
    const servers = client.nodes('master').map((n) => `${n.options.host ?? ''}:${n.options.port ?? ''}`);
    return { ...info, servers: servers.sort() };
  }
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  const connected = client.status === 'ready' && stream?.remoteAddress ? [`${stream.remoteAddress}:${stream.remotePort ?? ''}`] : [];
  return { ...info, servers: connected };
}

/** Resolves when the client is ready, or after `timeoutMs` (false): start-up must not hang on Redis. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    client.on('ready', onReady);
  });
}

/** undefined: plain TCP. {}: Node's trust store (which NODE_EXTRA_CA_CERTS extends). REDIS_CA_FILE: only that CA. */
function tlsOptions(settings: RedisSettings): ConnectionOptions | undefined {
  if (!settings.tls) return undefined;
  if (!settings.caFile) return {};
  try {
    return { ca: readFileSync(settings.caFile, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new JwtcheckError(
      'config',
      `REDIS_CA_FILE ${settings.caFile} could not be read (${code}): point it at the PEM file of the CA that signed the Redis server's certificate.`,
      { cause: err },
    );
  }
}
