/**
 * What jwtcheck remembers about each alert it answered, so that Alertmanager's re-sends (every
 * repeat_interval, from every replica of an HA pair) add nothing but an occasional refresh, and `resolved`
 * finds the thread. Keyed by the alert's fingerprint and start time (an alert that fires again after
 * resolving is a new incident with a new start). Redis when REDIS_URL is set, so it survives an app restart;
 * memory otherwise. Every key expires.
 */
import { appKey } from '../job/job-data.js';
import type { RedisClient } from '../queue/redis.js';

export interface AlertThread {
  channel: string;
  /** The parent the app posted; unset while the claim is being posted. */
  parentTs?: string;
  /** The last diagnosis job in this thread (its verdict is looked up for the resolved parent). */
  jobId?: string;
  resolvedAt?: string;
}

/** A firing alert is remembered this long after its last notification; a resolved one for a day. */
export const ALERT_FIRING_TTL_SECONDS = 7 * 24 * 60 * 60;
export const ALERT_RESOLVED_TTL_SECONDS = 24 * 60 * 60;

export interface AlertStateStore {
  /** Stores `thread` only if nothing is stored for `key`: true when this caller owns the alert. */
  claim(key: string, thread: AlertThread): Promise<boolean>;
  get(key: string): Promise<AlertThread | undefined>;
  put(key: string, thread: AlertThread, ttlSeconds: number): Promise<void>;
  forget(key: string): Promise<void>;
  /** True at most once per `intervalMs` for one key (the first call after a claim counts). */
  takeRefresh(key: string, intervalMs: number): Promise<boolean>;
}

const stateKey = (key: string, hashTagged = false): string => appKey('alert', key, hashTagged);
const refreshKey = (key: string, hashTagged = false): string => appKey('alert-refresh', key, hashTagged);

export class RedisAlertState implements AlertStateStore {
  /** `hashTagged` on a Redis Cluster: keys share the queues' slot (`{jwtcheck}:alert:…`, see appKey). */
  constructor(
    private readonly redis: RedisClient,
    private readonly hashTagged = false,
  ) {}

  private readonly stateKey = (key: string): string => stateKey(key, this.hashTagged);
  private readonly refreshKey = (key: string): string => refreshKey(key, this.hashTagged);

  async claim(key: string, thread: AlertThread): Promise<boolean> {
    return (await this.redis.set(this.stateKey(key), JSON.stringify(thread), 'EX', ALERT_FIRING_TTL_SECONDS, 'NX')) !== null;
  }

  async get(key: string): Promise<AlertThread | undefined> {
    const raw = await this.redis.get(this.stateKey(key));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as AlertThread;
    } catch {
      return undefined;
    }
  }

  async put(key: string, thread: AlertThread, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.stateKey(key), JSON.stringify(thread), 'EX', ttlSeconds);
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(this.stateKey(key), this.refreshKey(key));
  }

  async takeRefresh(key: string, intervalMs: number): Promise<boolean> {
    return (await this.redis.set(this.refreshKey(key), '1', 'PX', intervalMs, 'NX')) !== null;
  }
}

export class MemoryAlertState implements AlertStateStore {
  private readonly entries = new Map<string, { value: AlertThread | true; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, thread: AlertThread): Promise<boolean> {
    if (this.live(stateKey(key)) !== undefined) return false;
    this.set(stateKey(key), thread, ALERT_FIRING_TTL_SECONDS * 1000);
    return true;
  }

  async get(key: string): Promise<AlertThread | undefined> {
    const value = this.live(stateKey(key));
    return value === undefined || value === true ? undefined : { ...value };
  }

  async put(key: string, thread: AlertThread, ttlSeconds: number): Promise<void> {
    this.set(stateKey(key), thread, ttlSeconds * 1000);
  }

  async forget(key: string): Promise<void> {
    this.entries.delete(stateKey(key));
    this.entries.delete(refreshKey(key));
  }

  async takeRefresh(key: string, intervalMs: number): Promise<boolean> {
    if (this.live(refreshKey(key)) !== undefined) return false;
    this.set(refreshKey(key), true, intervalMs);
    return true;
  }

  private set(key: string, value: AlertThread | true, ttlMs: number): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    this.entries.set(key, { value: value === true ? true : { ...value }, expires: now + ttlMs });
  }

  private live(key: string): AlertThread | true | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }
}
