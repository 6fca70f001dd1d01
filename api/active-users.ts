/**
 * Distinct active users, counted by the API in Redis: one HyperLogLog per UTC day
 * (`<prefix>{active-users}:YYYY-MM-DD`, ~12 KB whatever the traffic, 0.81 % standard error). Every
 * authenticated request notes its user in memory (a Set add, nothing on the wire); once a second
 * the ids noted since go to Redis in one PFADD (with the key's expiry, pipelined in one MULTI), so
 * the hot path never waits for Redis and a hung Redis costs nothing but that second's ids.
 *
 * The hash tag puts every day of every month in one slot, so on Redis Cluster a month's distinct
 * count is one PFCOUNT over its days (a union, not a sum). The counts are exported as
 * `passplatform_active_users{window="day"|"month"}` (today so far, this calendar month so far),
 * read at scrape time: every API pod exports the same figure, so readers take `max`. The cost
 * report reads the month's figure for its cost per active user.
 */
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../core/metric-names.js';
import { labelNamesOf } from '../core/metric-labels.js';
import type { Logger } from '../core/logger.js';
import type { RedisClient } from '../core/redis.js';

const DAY_MS = 86_400_000;
/** A day's key outlives its month by a few days, so the month's count can be read at its end. */
const KEY_TTL_SECONDS = 40 * 86_400;

export interface ActiveUsersOptions {
  redis: RedisClient;
  keyPrefix: string;
  registry: Registry;
  logger: Logger;
  /** How often the noted ids go to Redis, ms (default 1 s). */
  flushMs?: number;
  clock?: () => number;
}

export class ActiveUsers {
  /** Ids noted since the last flush, by day key (a request just before midnight counts for its own day). */
  private pending = new Map<string, Set<string>>();
  private currentDay = { key: '', endsAt: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly clock: () => number;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ActiveUsersOptions) {
    this.clock = options.clock ?? Date.now;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1_000);
    this.timer.unref();
    const read = () => this.counts();
    new Gauge({
      name: METRIC.activeUsers,
      help: 'Distinct users with an authenticated request: today (UTC) so far, and this calendar month so far (window).',
      labelNames: labelNamesOf('activeUsers'),
      registers: [options.registry],
      async collect() {
        this.reset();
        try {
          const { day, month } = await read();
          this.set({ window: 'day' }, day);
          this.set({ window: 'month' }, month);
        } catch (err) {
          // No figure rather than a wrong one: the scrape goes on without this series.
          options.logger.debug({ err: (err as Error).message }, 'active users not counted');
        }
      },
    });
  }

  /** Notes the caller of an authenticated request (api/route.ts, once the route has answered). */
  note(userId: string): void {
    const key = this.dayKey(this.clock());
    let ids = this.pending.get(key);
    if (!ids) this.pending.set(key, (ids = new Set()));
    ids.add(userId);
  }

  /** Sends what was noted: one MULTI of PFADD and EXPIRE per day key (one key, so one slot). */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      for (const [key, ids] of batch) {
        try {
          await this.options.redis
            .multi()
            .pfadd(key, ...ids)
            .expire(key, KEY_TTL_SECONDS)
            .exec();
        } catch (err) {
          this.options.logger.warn({ err: (err as Error).message, users: ids.size }, 'active users not recorded');
        }
      }
    });
    return this.flushing;
  }

  /** Distinct users today and in this calendar month so far (UTC). */
  async counts(): Promise<{ day: number; month: number }> {
    const now = this.clock();
    const today = this.dayKey(now);
    const monthStart = new Date(now);
    monthStart.setUTCDate(1);
    monthStart.setUTCHours(0, 0, 0, 0);
    const days: string[] = [];
    for (let day = monthStart.getTime(); day <= now; day += DAY_MS) days.push(this.keyOf(day));
    const [day, month] = await Promise.all([this.options.redis.pfcount(today), this.options.redis.pfcount(...days)]);
    return { day, month };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** The key of the day containing `time`, recomputed only when a day ends (no Date per request). */
  private dayKey(time: number): string {
    if (time >= this.currentDay.endsAt || time < this.currentDay.endsAt - DAY_MS) {
      const start = time - (time % DAY_MS);
      this.currentDay = { key: this.keyOf(start), endsAt: start + DAY_MS };
    }
    return this.currentDay.key;
  }

  private keyOf(time: number): string {
    return `${this.options.keyPrefix}{active-users}:${new Date(time).toISOString().slice(0, 10)}`;
  }
}
