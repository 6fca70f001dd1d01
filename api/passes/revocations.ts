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
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import { PostgresSyncedFeed } from '../postgres-synced-feed.js';

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

// How far back each incremental re-read looks past the last one, to cover commit-order skew.
const SYNC_OVERLAP_MS = 60_000;

export class RevocationRegistry extends EventEmitter {
  /** Revoked pass id → when the pass would have expired (ms); expired ones are pruned on sync. */
  private readonly revoked = new Map<string, number>();
  private readonly channel: string;
  private readonly feed: PostgresSyncedFeed;
  private syncedUpTo: Date | undefined;

  constructor(private readonly options: RevocationOptions) {
    super();
    this.channel = `${options.keyPrefix}passes:revoked`;
    this.feed = new PostgresSyncedFeed({
      subscriber: options.subscriber,
      channel: this.channel,
      syncIntervalMs: options.syncIntervalMs,
      logger: options.logger,
      what: 'pass revocations',
      onMessage: (message) => {
        const [passId, until] = message.split(' ');
        if (passId && until) this.remember(passId, Number(until));
      },
      sync: () => this.sync(),
      redisBreaker: options.redisBreaker,
    });
  }

  /** Until the first Postgres read succeeds, the verifier asks Postgres itself (see `loaded`). */
  start(): Promise<void> {
    return this.feed.start();
  }

  close(): void {
    this.feed.close();
  }

  /** Whether the local set has been loaded from Postgres at least once (only then is a miss meaningful). */
  get loaded(): boolean {
    return this.syncedUpTo !== undefined;
  }

  has(passId: string): boolean {
    return this.revoked.has(passId);
  }

  get size(): number {
    return this.revoked.size;
  }

  /**
   * Spreads a revocation already committed to Postgres. Redis failures are logged, not thrown:
   * other processes still learn it from their next re-read of Postgres.
   */
  async announce(passId: string, validUntil: Date): Promise<void> {
    this.remember(passId, validUntil.getTime());
    const { revoked } = passKeys(this.options.keyPrefix, passId);
    // The key outlives the pass by a day; an expired pass is refused as expired anyway.
    const expireAt = Math.ceil(validUntil.getTime() / 1000) + 86_400;
    try {
      await this.options.redis.set(revoked, '1', 'EXAT', expireAt);
      await this.options.redis.publish(this.channel, `${passId} ${validUntil.getTime()}`);
    } catch (err) {
      this.options.logger.warn(
        { err: (err as Error).message, passId },
        'revocation not announced through Redis; peers will read it from Postgres',
      );
    }
  }

  /** Reads revocations from Postgres: all unexpired ones the first time, then only recent ones. */
  async sync(): Promise<void> {
    const startedAt = new Date();
    const since = this.syncedUpTo ? new Date(this.syncedUpTo.getTime() - SYNC_OVERLAP_MS) : undefined;
    const query = this.options.knex('passes').select('id', 'valid_until').where('status', 'revoked').where('valid_until', '>', startedAt);
    if (since) query.where('revoked_at', '>=', since);
    const rows = (await query) as { id: string; valid_until: Date }[];
    for (const row of rows) this.remember(row.id, row.valid_until.getTime());
    for (const [id, until] of this.revoked) if (until <= startedAt.getTime()) this.revoked.delete(id);
    this.syncedUpTo = startedAt;
  }

  private remember(passId: string, validUntilMs: number): void {
    if (this.revoked.has(passId)) return;
    this.revoked.set(passId, validUntilMs);
    this.emit('revoked', passId);
  }
}
