/**
 * Which login sessions are revoked, as every API process sees it, so an access token stops
 * working on the next request after logout, refresh-token reuse, or its owner being suspended or
 * deleted — not when the token expires.
 *
 * The check on every authenticated request is a look-up in a local set (api/revoked-set.ts): no
 * I/O, so it costs nothing and cannot hang on a dependency. The set is kept current the way pass
 * revocations are (api/passes/revocations.ts):
 * - the process that revokes adds the session at once and publishes it on Redis, so every other
 *   process adds it within milliseconds;
 * - every process re-reads recently revoked sessions from Postgres (the source of truth:
 *   `refresh_tokens.revoked_at`) periodically and on every reconnect to Redis, which covers
 *   messages missed while Redis was away.
 * A session only needs to be remembered for one access-token lifetime after its revocation: any
 * token it issued has expired by then.
 */
import type { Knex } from 'knex';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import { RevokedSet, SYNC_OVERLAP_MS, type Revocation } from '../revoked-set.js';

export interface SessionRevocationOptions {
  knex: Knex;
  redis: RedisClient;
  /** A connection in subscriber mode (shared with the cache's invalidation channel). */
  subscriber: RedisClient;
  keyPrefix: string;
  /** Lifetime of access tokens: how long a revoked session must be remembered. */
  accessTtlSeconds: number;
  syncIntervalMs: number;
  logger: Logger;
  /** Redis's breaker: its recovery triggers a re-read, as after a reconnect. */
  redisBreaker?: DependencyBreaker;
}

/** Emits `revoked` (sessionId) whenever this process learns of a revoked session. */
export class SessionRevocations extends RevokedSet {
  constructor(private readonly options: SessionRevocationOptions) {
    super({ ...options, channel: `${options.keyPrefix}sessions:revoked`, what: 'session revocations' });
  }

  /** Spreads revocations already committed to Postgres (checked on every authenticated request). */
  async announce(sessionIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(sessionIds)];
    for (const id of ids) this.remember(this.revocationAt(id, Date.now()));
    await this.spread((redis, channel) => Promise.all(ids.map((id) => redis.publish(channel, id))), { sessions: ids.length });
  }

  protected parseMessage(sessionId: string): Revocation | undefined {
    return sessionId ? this.revocationAt(sessionId, Date.now()) : undefined;
  }

  /** Sessions revoked within one access-token lifetime (then only the recent ones), from Postgres. */
  protected async readRevocations(since: Date | undefined, now: Date): Promise<Revocation[]> {
    const rows = (await this.options
      .knex('refresh_tokens')
      .select('family_id')
      .max('revoked_at as revoked_at')
      .where('revoked_at', '>=', since ?? new Date(now.getTime() - this.options.accessTtlSeconds * 1000))
      .groupBy('family_id')) as { family_id: string; revoked_at: Date }[];
    return rows.map((row) => this.revocationAt(row.family_id, row.revoked_at.getTime()));
  }

  /** A session is remembered until every access token it issued has expired. */
  private revocationAt(sessionId: string, revokedAtMs: number): Revocation {
    return { id: sessionId, forgetAtMs: revokedAtMs + this.options.accessTtlSeconds * 1000 + SYNC_OVERLAP_MS };
  }
}
