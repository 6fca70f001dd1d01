/**
 * Read-your-writes across API pods: after a caller writes, their reads go to the primary for a
 * short window, so they never read their own change from a replica that has not replayed it yet.
 * The marker lives in Redis (any pod may serve the next request) with an in-process copy; if Redis
 * cannot answer, reads go to the primary, which is always correct. Every successful authenticated
 * write marks its caller (api/route.ts), unless its route declares `readYourWrites: false`.
 */
import type { Knex } from 'knex';
import type { Database } from '../core/db.js';
import type { RedisClient } from '../core/redis.js';

export class ReadYourWrites {
  private readonly local = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
    private readonly replicasConfigured: boolean,
  ) {}

  async markWrite(userId: string): Promise<void> {
    if (!this.replicasConfigured) return;
    this.local.set(userId, Date.now() + this.windowMs);
    if (this.local.size > 50_000) this.pruneLocal();
    await this.redis.set(this.key(userId), '1', 'PX', this.windowMs).catch(() => undefined);
  }

  /** Whether reads for this caller must go to the primary. */
  async mustReadPrimary(userId: string | undefined): Promise<boolean> {
    if (!this.replicasConfigured || !userId) return false;
    const until = this.local.get(userId);
    if (until && until > Date.now()) return true;
    try {
      return (await this.redis.exists(this.key(userId))) === 1;
    } catch {
      return true;
    }
  }

  /** Runs a read on a replica, or on the primary when this caller has just written. */
  async read<T>(db: Database, userId: string | undefined, query: (db: Knex) => Promise<T>): Promise<T> {
    return db.read(query, { fresh: await this.mustReadPrimary(userId) });
  }

  private key(userId: string): string {
    return `${this.keyPrefix}ryw:${userId}`;
  }

  private pruneLocal(): void {
    const now = Date.now();
    for (const [id, until] of this.local) if (until <= now) this.local.delete(id);
  }
}
