/**
 * A set of revoked ids (passes, login sessions) that every API process holds in memory, so the
 * check on a hot path is a local look-up with no I/O. It is kept current by a PostgresSyncedFeed:
 * the revoking process publishes the id on Redis (peers learn it within milliseconds), and every
 * process re-reads recent revocations from Postgres periodically and after Redis comes back.
 * Each id is remembered until `forgetAtMs` (when whatever it revoked has expired), then pruned.
 *
 * Subclasses say what is revoked: the channel's message format, the Postgres read, and how a
 * revocation is announced.
 */
import { EventEmitter } from 'node:events';
import type { DependencyBreaker } from '../core/breaker.js';
import type { Logger } from '../core/logger.js';
import type { RedisClient } from '../core/redis.js';
import { PostgresSyncedFeed } from './postgres-synced-feed.js';

export interface Revocation {
  id: string;
  /** When the id may be forgotten (ms since the epoch). */
  forgetAtMs: number;
}

export interface RevokedSetOptions {
  redis: RedisClient;
  /** A connection in subscriber mode (shared with the cache's invalidation channel). */
  subscriber: RedisClient;
  channel: string;
  syncIntervalMs: number;
  logger: Logger;
  /** Redis's breaker: a hang keeps the subscriber's socket (no 'ready'), so its end triggers a re-read too. */
  redisBreaker?: DependencyBreaker | undefined;
  /** What the set holds, for log lines ("pass revocations"). */
  what: string;
}

// How far back each incremental re-read looks past the last one, to cover commit-order skew.
export const SYNC_OVERLAP_MS = 60_000;

/** Emits `revoked` (id) the first time this process learns of each revoked id. */
export abstract class RevokedSet extends EventEmitter {
  private readonly revoked = new Map<string, number>();
  private readonly feed: PostgresSyncedFeed;
  private syncedUpTo: Date | undefined;

  constructor(protected readonly setOptions: RevokedSetOptions) {
    super();
    this.feed = new PostgresSyncedFeed({
      subscriber: setOptions.subscriber,
      channel: setOptions.channel,
      syncIntervalMs: setOptions.syncIntervalMs,
      logger: setOptions.logger,
      what: setOptions.what,
      onMessage: (message) => {
        const revocation = this.parseMessage(message);
        if (revocation) this.remember(revocation);
      },
      sync: () => this.sync(),
      redisBreaker: setOptions.redisBreaker,
    });
  }

  /** The revocation a channel message carries, or undefined for a malformed one. */
  protected abstract parseMessage(message: string): Revocation | undefined;

  /** Revocations committed since `since` (minus the overlap), or every one still in force on the first read. */
  protected abstract readRevocations(since: Date | undefined, now: Date): Promise<Revocation[]>;

  start(): Promise<void> {
    return this.feed.start();
  }

  close(): void {
    this.feed.close();
  }

  /** Whether the set has been loaded from Postgres at least once (only then is a miss meaningful). */
  get loaded(): boolean {
    return this.syncedUpTo !== undefined;
  }

  get size(): number {
    return this.revoked.size;
  }

  has(id: string): boolean {
    return this.revoked.has(id);
  }

  /** Re-reads recent revocations from Postgres and forgets the ones that no longer matter. */
  async sync(): Promise<void> {
    const startedAt = new Date();
    const since = this.syncedUpTo ? new Date(this.syncedUpTo.getTime() - SYNC_OVERLAP_MS) : undefined;
    for (const revocation of await this.readRevocations(since, startedAt)) this.remember(revocation);
    for (const [id, forgetAt] of this.revoked) if (forgetAt <= startedAt.getTime()) this.revoked.delete(id);
    this.syncedUpTo = startedAt;
  }

  protected remember({ id, forgetAtMs }: Revocation): void {
    const known = this.revoked.get(id);
    this.revoked.set(id, Math.max(known ?? 0, forgetAtMs));
    if (known === undefined) this.emit('revoked', id);
  }

  /**
   * Runs the Redis side of an announcement (already committed to Postgres). A failure is logged,
   * not thrown: the other processes still learn it from their next re-read of Postgres.
   */
  protected async spread(send: (redis: RedisClient, channel: string) => Promise<unknown>, context: Record<string, unknown>): Promise<void> {
    try {
      await send(this.setOptions.redis, this.setOptions.channel);
    } catch (err) {
      this.setOptions.logger.warn(
        { err: (err as Error).message, ...context },
        `${this.setOptions.what}: not announced through Redis; peers will read it from Postgres`,
      );
    }
  }
}
