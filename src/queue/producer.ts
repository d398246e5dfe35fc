/**
 * The queue producer used by the Slack app. Fails fast: every Redis call is bounded, so a user gets
 * "queue unavailable" in about a second, never a silent hang.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { JwtcheckError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { DEDUPE_TTL_SECONDS, STASH_TTL_SECONDS, type DiagnosisDispatcher, type TokenStash } from './dispatcher.js';
import { JOB_NAME, appKey, queueLocation, validateJobData, type DiagnosisJobData } from '../job/job-data.js';
import { describeRedisSettings, type RedisConnectionInfo, type RedisSettings } from '../lib/redis-settings.js';
import { createRedisClient, describeConnection, needsHashTags, type RedisClient } from './redis.js';

export const JOB_ATTEMPTS = 3;
export const BACKOFF_DELAY_MS = 2000;
/** Upper bound for any producer call, on top of the no-offline-queue client (a connected but stuck Redis). */
export const PRODUCER_CALL_TIMEOUT_MS = 1500;

export interface QueueProducerOptions {
  redis: RedisSettings;
  logger: Logger;
}

export class QueueProducer implements DiagnosisDispatcher, TokenStash {
  readonly mode = 'queue' as const;
  readonly redis: RedisClient;
  private readonly queues = new Map<string, Queue>();
  private readonly where: string;
  /** Keys carry the `{jwtcheck}` hash tag (Redis Cluster); stores sharing this client follow it. */
  readonly hashTagged: boolean;

  constructor(private readonly options: QueueProducerOptions) {
    this.where = describeRedisSettings(options.redis);
    this.hashTagged = needsHashTags(options.redis);
    this.redis = createRedisClient(options.redis, 'producer');
    // Without a listener ioredis prints "Unhandled error event" on every reconnect attempt.
    this.redis.on('error', (err: Error) => options.logger.warn({ err: { message: err.message } }, 'redis (producer) error'));
  }

  queueFor(cluster: string): Queue {
    const location = queueLocation(cluster, this.hashTagged);
    let queue = this.queues.get(location.label);
    if (!queue) {
      queue = new Queue(location.name, {
        connection: this.redis,
        prefix: location.prefix,
        defaultJobOptions: {
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: BACKOFF_DELAY_MS },
          removeOnComplete: true,
          removeOnFail: true,
        },
      });
      queue.on('error', (err: Error) => this.options.logger.warn({ err: { message: err.message }, queue: location.label }, 'queue error'));
      this.queues.set(location.label, queue);
    }
    return queue;
  }

  async submit(data: DiagnosisJobData, jobId: string): Promise<{ jobId: string; duplicate: boolean }> {
    const valid = validateJobData(data);
    if (!valid.ok) throw new JwtcheckError('invalid', `The request could not be queued (${valid.problems.join('; ')}). This is a jwtcheck bug: please report it.`);
    // Remembered beyond the job's life (jobs are removed when they end): a late Slack retry stays a duplicate.
    const seenKey = appKey('seen', jobId, this.hashTagged);
    const first = await this.bounded(this.redis.set(seenKey, '1', 'EX', DEDUPE_TTL_SECONDS, 'NX'));
    if (first === null) return { jobId, duplicate: true };
    try {
      await this.bounded(this.queueFor(data.target.cluster).add(JOB_NAME, valid.value, { jobId }));
    } catch (err) {
      await this.redis.del(seenKey).catch(() => undefined);
      throw err;
    }
    return { jobId, duplicate: false };
  }

  async hasWorkerFor(cluster: string): Promise<boolean> {
    try {
      const workers = await this.bounded(this.queueFor(cluster).getWorkers());
      return workers.length > 0;
    } catch (err) {
      if (err instanceof JwtcheckError) throw err;
      return true; // CLIENT LIST may be disabled (managed Redis): do not refuse work on a guess.
    }
  }

  async check(): Promise<void> {
    await this.bounded(this.redis.ping());
  }

  /** Which topology the producer is connected to, and where (for /readyz). */
  connection(): RedisConnectionInfo {
    return describeConnection(this.redis, this.options.redis);
  }

  async put(sealedToken: string): Promise<string> {
    const id = randomBytes(16).toString('base64url');
    await this.bounded(this.redis.set(appKey('stash', id, this.hashTagged), sealedToken, 'EX', STASH_TTL_SECONDS));
    return id;
  }

  async get(id: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(id)) return undefined;
    const value = await this.bounded(this.redis.get(appKey('stash', id, this.hashTagged)));
    return value ?? undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    await this.redis.quit().catch(() => undefined);
    // After QUIT, ioredis (6.0) keeps its Sentinel failover detector subscribed, reconnecting forever
    // once the sentinels go away; disconnect() also ends that.
    this.redis.disconnect();
  }

  /** Every Redis call a Slack handler waits on goes through here: rejects with the user's sentence. */
  private async bounded<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), PRODUCER_CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (err) {
      this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'redis call failed');
      throw new JwtcheckError(
        'unreachable',
        `The diagnosis queue is unavailable (Redis at ${this.where} does not answer); try again in a minute.`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
