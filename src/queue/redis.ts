import { Redis, type RedisOptions } from 'ioredis';

/** host:port of a Redis URL, for messages: never the password. */
export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'the configured REDIS_URL';
  }
}

/**
 * The producer's client (Slack handlers): no offline queue and one retry per command, so a call made
 * while Redis is down rejects at once instead of hanging until Slack's 3-second deadline (STACK §5).
 */
export function createProducerRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep reconnecting in the background, but never faster than every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  });
}

/** Workers block on Redis and must survive outages: BullMQ requires maxRetriesPerRequest null. */
export function createWorkerRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 500, 5000), ...extra });
}

/** Resolves when the client is ready, or after `timeoutMs` (false): start-up must not hang on Redis. */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
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
