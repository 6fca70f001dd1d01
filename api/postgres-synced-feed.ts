/**
 * Keeps a process-local view of something Postgres records (revoked passes, revoked sessions)
 * current: news arrives on a Redis pub/sub channel within milliseconds, and a periodic re-read of
 * Postgres — and one on every reconnect to Redis — picks up whatever the channel missed. With
 * Redis down the view still converges, one re-read interval behind.
 */
import type { DependencyBreaker } from '../core/breaker.js';
import type { Logger } from '../core/logger.js';
import type { RedisClient } from '../core/redis.js';

export interface PostgresSyncedFeedOptions {
  /** A connection in subscriber mode (shared with the cache's invalidation channel). */
  subscriber: RedisClient;
  channel: string;
  syncIntervalMs: number;
  logger: Logger;
  /** What the feed keeps, for log lines (e.g. "pass revocations"). */
  what: string;
  onMessage(message: string): void;
  /** Re-reads Postgres. */
  sync(): Promise<void>;
  /** Redis's breaker: a hang keeps the subscriber's socket (no 'ready'), so its end triggers a re-read too. */
  redisBreaker?: DependencyBreaker | undefined;
}

export class PostgresSyncedFeed {
  private timer: NodeJS.Timeout | undefined;
  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.options.channel) this.options.onMessage(message);
  };
  private readonly onReady = () => void this.options.sync().catch(() => undefined);
  private stopWatchingBreaker: (() => void) | undefined;

  constructor(private readonly options: PostgresSyncedFeedOptions) {}

  async start(): Promise<void> {
    const { subscriber, channel, logger, what } = this.options;
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
    this.stopWatchingBreaker = this.options.redisBreaker?.onAvailabilityChange((available) => available && this.onReady());
    // Not awaited: with Redis down the subscription waits for it, while re-reads keep the view current.
    subscriber.subscribe(channel).catch((err: Error) => logger.warn({ err: err.message }, `${what} channel unavailable`));
    // Without Postgres at start the API still comes up; callers know from their own state whether a read succeeded.
    await this.options.sync().catch((err: Error) => logger.warn({ err: err.message }, `${what} not loaded yet`));
    this.timer = setInterval(() => void this.options.sync().catch(() => undefined), this.options.syncIntervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.options.subscriber.off('message', this.onMessage);
    this.options.subscriber.off('ready', this.onReady);
    this.stopWatchingBreaker?.();
  }
}
