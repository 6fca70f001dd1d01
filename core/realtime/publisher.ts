/**
 * Publishes to the real-time feeds. One script appends the message to the feed's capped history
 * stream and announces it on the feed's sharded channel with the stream id, atomically, so a
 * message is never live without being resumable, and ids are in the order clients see them.
 *
 * Publishing happens after the state change has committed and is best effort: a Redis failure is
 * logged and counted, never turned into a failed request or job (the state change stands, and the
 * REST routes still show it).
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import { METRIC } from '../metric-names.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';
import { analyticsCountersKey, feedStream, userStream, type StreamRef } from './keys.js';
import type { GateVerdict, NotificationData, NotificationEventName, RealtimePayload } from './events.js';

// KEYS: history stream. ARGV: max length, ttl ms (0: none), channel, payload.
const APPEND_AND_ANNOUNCE = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'p', ARGV[4])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
redis.call('SPUBLISH', ARGV[3], id .. ' ' .. ARGV[4])
return id`;

// KEYS: counters hash, history stream. ARGV: max length, channel, publish time, day, then field/increment pairs.
// The totals are read in the same script that adds to them, so snapshots are ordered like their ids.
const COUNT_AND_ANNOUNCE = `
for i = 5, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], 172800)
local flat = redis.call('HGETALL', KEYS[1])
local counters = {}
for i = 1, #flat, 2 do counters[flat[i]] = tonumber(flat[i + 1]) end
local payload = cjson.encode({ scope = 'analytics', event = 'analytics.counters', data = { day = ARGV[4], counters = counters }, at = tonumber(ARGV[3]) })
local id = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], '*', 'p', payload)
redis.call('SPUBLISH', ARGV[2], id .. ' ' .. payload)
return id`;

interface RealtimeScripts {
  rtAppendAndAnnounce(stream: string, maxLength: number, ttlMs: number, channel: string, payload: string): Promise<string>;
  rtCountAndAnnounce(
    countersKey: string,
    stream: string,
    maxLength: number,
    channel: string,
    at: number,
    day: string,
    ...pairs: (string | number)[]
  ): Promise<string>;
}

export interface PublisherOptions {
  redis: RedisClient;
  keyPrefix: string;
  /** Entries kept per user for resuming (older ones are trimmed). */
  historyLength: number;
  /** A user's history is dropped after this long without a new entry. */
  historyTtlSeconds: number;
  logger: Logger;
  failures?: Counter<'feed'>;
}

/** The count of messages that could not be published, as every publishing process exports it. */
export function publishFailuresCounter(registry: Registry): Counter<'feed'> {
  return new Counter({
    name: METRIC.realtimePublishFailures,
    help: 'Real-time messages that could not be published (the state change itself stands).',
    labelNames: ['feed'] as const,
    registers: [registry],
  });
}

export class RealtimePublisher {
  private readonly scripts: RealtimeScripts;

  /** A publisher with the history length and lifetime the process is configured with. */
  static fromConfig(
    config: Pick<Config, 'REDIS_KEY_PREFIX' | 'REALTIME_HISTORY_LENGTH' | 'REALTIME_HISTORY_TTL_SECONDS'>,
    redis: RedisClient,
    logger: Logger,
    failures: Counter<'feed'>,
  ): RealtimePublisher {
    return new RealtimePublisher({
      redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      historyLength: config.REALTIME_HISTORY_LENGTH,
      historyTtlSeconds: config.REALTIME_HISTORY_TTL_SECONDS,
      logger,
      failures,
    });
  }

  constructor(private readonly options: PublisherOptions) {
    options.redis.defineCommand('rtAppendAndAnnounce', { numberOfKeys: 1, lua: APPEND_AND_ANNOUNCE });
    options.redis.defineCommand('rtCountAndAnnounce', { numberOfKeys: 2, lua: COUNT_AND_ANNOUNCE });
    this.scripts = options.redis as unknown as RealtimeScripts;
  }

  /** Sends a notification to each of the users (their own channel, whichever pod holds them). */
  async notifyUsers<E extends NotificationEventName>(userIds: readonly string[], event: E, data: NotificationData<E>): Promise<void> {
    const { keyPrefix, historyLength, historyTtlSeconds } = this.options;
    await Promise.all(
      userIds.map((userId) =>
        this.append(
          'notifications',
          userStream(keyPrefix, userId),
          { scope: userId, event, data, at: Date.now() },
          historyLength,
          historyTtlSeconds * 1000,
        ),
      ),
    );
  }

  /** A gate verdict for the security and admin dashboards. */
  gateVerdict(verdict: GateVerdict): Promise<void> {
    return this.append(
      'gates',
      feedStream(this.options.keyPrefix, 'gates'),
      { scope: 'gates', event: 'gate.verdict', data: verdict, at: Date.now() },
      1_000,
      0,
    );
  }

  /** Adds to today's analytics totals and announces the new totals. */
  async addCounters(day: string, increments: ReadonlyMap<string, number>): Promise<void> {
    if (increments.size === 0) return;
    const ref = feedStream(this.options.keyPrefix, 'analytics');
    const pairs = [...increments].flatMap(([field, by]) => [field, by]);
    await this.guard('analytics', () =>
      this.scripts.rtCountAndAnnounce(
        analyticsCountersKey(this.options.keyPrefix, day),
        ref.stream,
        100,
        ref.channel,
        Date.now(),
        day,
        ...pairs,
      ),
    );
  }

  private append(feed: string, ref: StreamRef, payload: RealtimePayload, maxLength: number, ttlMs: number): Promise<void> {
    return this.guard(feed, () => this.scripts.rtAppendAndAnnounce(ref.stream, maxLength, ttlMs, ref.channel, JSON.stringify(payload)));
  }

  private async guard(feed: string, publish: () => Promise<unknown>): Promise<void> {
    try {
      await publish();
    } catch (err) {
      this.options.failures?.inc({ feed });
      this.options.logger.warn({ err: (err as Error).message, feed }, 'real-time publish failed');
    }
  }
}
