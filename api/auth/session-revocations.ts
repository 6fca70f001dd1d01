/**
 * Which login sessions are revoked, as every API process sees it, so an access token stops
 * working on the next request after logout, refresh-token reuse, or its owner being suspended or
 * deleted — not when the token expires.
 *
 * The check on every authenticated request is a look-up in a local set: no I/O, so it costs
 * nothing and cannot hang on a dependency. The set is kept current the way pass revocations are
 * (api/passes/revocations.ts):
 * - the process that revokes adds the session at once and publishes it on Redis, so every other
 *   process adds it within milliseconds;
 * - every process re-reads recently revoked sessions from Postgres (the source of truth:
 *   `refresh_tokens.revoked_at`) periodically and on every reconnect to Redis, which covers
 *   messages missed while Redis was away.
 * A session only needs to be remembered for one access-token lifetime after its revocation: any
 * token it issued has expired by then.
 */
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import { PostgresSyncedFeed } from '../postgres-synced-feed.js';

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

// How far back each incremental re-read looks past the last one, to cover commit-order skew.
const SYNC_OVERLAP_MS = 60_000;

/** Emits `revoked` (sessionId) whenever this process learns of a revoked session. */
export class SessionRevocations extends EventEmitter {
  /** Revoked session id → when it may be forgotten (ms). */
  private readonly revoked = new Map<string, number>();
  private readonly channel: string;
  private readonly feed: PostgresSyncedFeed;
  private syncedUpTo: Date | undefined;

  constructor(private readonly options: SessionRevocationOptions) {
    super();
    this.channel = `${options.keyPrefix}sessions:revoked`;
    this.feed = new PostgresSyncedFeed({
      subscriber: options.subscriber,
      channel: this.channel,
      syncIntervalMs: options.syncIntervalMs,
      logger: options.logger,
      what: 'session revocations',
      onMessage: (sessionId) => this.remember(sessionId, Date.now()),
      sync: () => this.sync(),
      redisBreaker: options.redisBreaker,
    });
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  close(): void {
    this.feed.close();
  }

  /** Whether the session was revoked (checked on every authenticated request). */
  has(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }

  /**
   * Spreads revocations already committed to Postgres. Redis failures are logged, not thrown:
   * the other processes still learn them from their next re-read of Postgres.
   */
  async announce(sessionIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(sessionIds)];
    for (const id of ids) this.remember(id, Date.now());
    try {
      await Promise.all(ids.map((id) => this.options.redis.publish(this.channel, id)));
    } catch (err) {
      this.options.logger.warn(
        { err: (err as Error).message, sessions: ids.length },
        'session revocation not announced through Redis; peers will read it from Postgres',
      );
    }
  }

  /** Reads sessions revoked within one access-token lifetime (then only the recent ones) from Postgres. */
  async sync(): Promise<void> {
    const startedAt = new Date();
    const lifetimeMs = this.options.accessTtlSeconds * 1000;
    const since = new Date(this.syncedUpTo ? this.syncedUpTo.getTime() - SYNC_OVERLAP_MS : startedAt.getTime() - lifetimeMs);
    const rows = (await this.options
      .knex('refresh_tokens')
      .select('family_id')
      .max('revoked_at as revoked_at')
      .where('revoked_at', '>=', since)
      .groupBy('family_id')) as { family_id: string; revoked_at: Date }[];
    for (const row of rows) this.remember(row.family_id, row.revoked_at.getTime());
    for (const [id, forgetAt] of this.revoked) if (forgetAt <= startedAt.getTime()) this.revoked.delete(id);
    this.syncedUpTo = startedAt;
  }

  private remember(sessionId: string, revokedAtMs: number): void {
    const forgetAt = revokedAtMs + this.options.accessTtlSeconds * 1000 + SYNC_OVERLAP_MS;
    const known = this.revoked.get(sessionId);
    this.revoked.set(sessionId, Math.max(known ?? 0, forgetAt));
    if (known === undefined) this.emit('revoked', sessionId);
  }
}
