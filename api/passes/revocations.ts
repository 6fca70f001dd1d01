/**
 * Which passes are revoked, as every API process sees it. Three layers, each covering the others'
 * gaps:
 * - a local set, loaded from Postgres at start, so a revoked pass is refused with no I/O at all;
 * - Redis: revoking sets a key the gate check reads atomically (so another process refuses the
 *   pass at once) and publishes the id so every local set learns it within milliseconds;
 * - a periodic incremental re-read of Postgres (and one on every reconnect to Redis), which picks
 *   up revocations made while Redis was unreachable or a message was missed.
 * Postgres stays the source of truth; when Redis is down, the verifier asks Postgres directly.
 */
import type { Knex } from 'knex';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import { RevokedSet, type Revocation } from '../revoked-set.js';

export interface RevocationOptions {
  knex: Knex;
  redis: RedisClient;
  /** A connection in subscriber mode (shared with the cache's invalidation channel). */
  subscriber: RedisClient;
  keyPrefix: string;
  syncIntervalMs: number;
  logger: Logger;
  /** Redis's breaker: a hang keeps the subscriber's socket (no 'ready'), so its end triggers a re-read too. */
  redisBreaker?: DependencyBreaker;
}

/** Redis keys of one pass; the hash tag keeps them in one cluster slot for the gate-check script. */
export function passKeys(keyPrefix: string, passId: string): { revoked: string; lastDirection: string } {
  return { revoked: `${keyPrefix}pass:{${passId}}:revoked`, lastDirection: `${keyPrefix}pass:{${passId}}:dir` };
}

/**
 * Revoked passes, each remembered until it would have expired. Until the first Postgres read
 * succeeds (`loaded`), the verifier asks Postgres itself.
 */
export class RevocationRegistry extends RevokedSet {
  constructor(private readonly options: RevocationOptions) {
    super({ ...options, channel: `${options.keyPrefix}passes:revoked`, what: 'pass revocations' });
  }

  /**
   * Spreads a revocation already committed to Postgres: a Redis key the gate-check script reads
   * atomically (another process refuses the pass at once), and a message for every local set.
   */
  async announce(passId: string, validUntil: Date): Promise<void> {
    this.remember({ id: passId, forgetAtMs: validUntil.getTime() });
    const { revoked } = passKeys(this.options.keyPrefix, passId);
    // The key outlives the pass by a day; an expired pass is refused as expired anyway.
    const expireAt = Math.ceil(validUntil.getTime() / 1000) + 86_400;
    await this.spread(
      async (redis, channel) => {
        await redis.set(revoked, '1', 'EXAT', expireAt);
        await redis.publish(channel, `${passId} ${validUntil.getTime()}`);
      },
      { passId },
    );
  }

  protected parseMessage(message: string): Revocation | undefined {
    const [passId, until] = message.split(' ');
    const forgetAtMs = Number(until);
    return passId && Number.isFinite(forgetAtMs) ? { id: passId, forgetAtMs } : undefined;
  }

  /** All unexpired revoked passes the first time, then only the recently revoked ones. */
  protected async readRevocations(since: Date | undefined, now: Date): Promise<Revocation[]> {
    const query = this.options.knex('passes').select('id', 'valid_until').where('status', 'revoked').where('valid_until', '>', now);
    if (since) query.where('revoked_at', '>=', since);
    const rows = (await query) as { id: string; valid_until: Date }[];
    return rows.map((row) => ({ id: row.id, forgetAtMs: row.valid_until.getTime() }));
  }
}
