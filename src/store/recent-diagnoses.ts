/**
 * What App Home lists: per Slack user, their last diagnoses (alert-triggered ones under the user
 * `alertmanager`). In Redis when REDIS_URL is set (a capped list per user that expires), in memory otherwise.
 * An entry holds the target, the verdict, the time and where it was posted: never a token.
 */
import { appKey } from '../job/job-data.js';
import type { RedisClient } from '../queue/redis.js';
import type { RecentDiagnosis } from '../render/home-view.js';

/** Kept per user: App Home shows 10; alerts keep more because each reader sees only their namespaces. */
export const RECENT_PER_USER = 20;
export const RECENT_ALERTS = 100;
/** A list nobody added to for this long is dropped. */
export const RECENT_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface RecentDiagnoses {
  add(user: string, entry: RecentDiagnosis): Promise<void>;
  /** Newest first. */
  list(user: string): Promise<RecentDiagnosis[]>;
}

const capFor = (user: string, alertUser: string): number => (user === alertUser ? RECENT_ALERTS : RECENT_PER_USER);
export class RedisRecentDiagnoses implements RecentDiagnoses {
  /** `hashTagged` on a Redis Cluster: keys share the queues' slot (`{jwtcheck}:recent:…`, see appKey). */
  constructor(
    private readonly redis: RedisClient,
    private readonly alertUser: string,
    private readonly hashTagged = false,
  ) {}

  private readonly key = (user: string): string => appKey('recent', user, this.hashTagged);

  async add(user: string, entry: RecentDiagnosis): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.key(user), JSON.stringify(entry))
      .ltrim(this.key(user), 0, capFor(user, this.alertUser) - 1)
      .expire(this.key(user), RECENT_TTL_SECONDS)
      .exec();
  }

  async list(user: string): Promise<RecentDiagnosis[]> {
    const raw = await this.redis.lrange(this.key(user), 0, -1);
    return raw.flatMap((text) => {
      try {
        return [JSON.parse(text) as RecentDiagnosis];
      } catch {
        return [];
      }
    });
  }
}

export class MemoryRecentDiagnoses implements RecentDiagnoses {
  private readonly lists = new Map<string, { entries: RecentDiagnosis[]; expires: number }>();

  constructor(
    private readonly alertUser: string,
    private readonly now: () => number = Date.now,
  ) {}

  async add(user: string, entry: RecentDiagnosis): Promise<void> {
    const entries = [entry, ...(await this.list(user))].slice(0, capFor(user, this.alertUser));
    this.lists.set(user, { entries, expires: this.now() + RECENT_TTL_SECONDS * 1000 });
  }

  async list(user: string): Promise<RecentDiagnosis[]> {
    const found = this.lists.get(user);
    if (!found || found.expires <= this.now()) {
      this.lists.delete(user);
      return [];
    }
    return [...found.entries];
  }
}
