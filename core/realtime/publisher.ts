/**
 * Publishes to the real-time feeds. One script appends the message to the feed's capped history
 * stream and announces it on the feed's sharded channel with the stream id, atomically, so a
 * message is never live without being resumable, and ids are in the order clients see them.
 *
 * Publishing happens after the state change has committed and is best effort: a Redis failure is
 * logged and counted, never turned into a failed request or job (the state change stands, and the
 * REST routes still show it).
 *
 * Gate verdicts come one per verification, thousands a second: those of a few milliseconds
 * (`VERDICT_WINDOW_MS`) are published together by one script that appends and announces each in
 * turn (still one stream entry and one message per verdict, in the order they were given). One
 * script call instead of one each was a tenth of a verification's CPU. The window was one
 * event-loop turn (`setImmediate`), but at a few hundred verifications a second a turn rarely holds
 * more than one, so each still paid a script of its own; a dashboard does not see 5 ms. A batch
 * that fails counts every verdict in it as a failure.
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

// KEYS: history stream. ARGV: max length, channel, then the payloads, oldest first. One entry and
// one message per payload, as APPEND_AND_ANNOUNCE would send them one by one.
const APPEND_AND_ANNOUNCE_EACH = `
for i = 3, #ARGV do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'p', ARGV[i])
  redis.call('SPUBLISH', ARGV[2], id .. ' ' .. ARGV[i])
end
return #ARGV - 2`;

/** The most verdicts one script call carries (Redis runs a script alone: keep each short). */
export const MAX_VERDICTS_PER_SCRIPT = 500;
/** How long a gate verdict may wait for others to share its script. */
export const VERDICT_WINDOW_MS = 5;
/** Entries the gate feed's history keeps. */
const GATE_HISTORY_LENGTH = 1_000;

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
  rtAppendAndAnnounceEach(stream: string, maxLength: number, channel: string, ...payloads: string[]): Promise<number>;
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

/** Gate verdicts waiting for the end of the event-loop turn, and the publish they will share. */
interface VerdictBatch {
  payloads: string[];
  published: Promise<void>;
}

export class RealtimePublisher {
  private readonly scripts: RealtimeScripts;
  private verdicts: VerdictBatch | undefined;

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
    options.redis.defineCommand('rtAppendAndAnnounceEach', { numberOfKeys: 1, lua: APPEND_AND_ANNOUNCE_EACH });
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

  /**
   * A gate verdict for the security and admin dashboards: published with the others of the next
   * `VERDICT_WINDOW_MS`, in the order given. Resolves once its batch is published (or counted as failed).
   */
  gateVerdict(verdict: GateVerdict): Promise<void> {
    const payload: RealtimePayload = { scope: 'gates', event: 'gate.verdict', data: verdict, at: Date.now() };
    let batch = this.verdicts;
    if (!batch || batch.payloads.length >= MAX_VERDICTS_PER_SCRIPT) {
      const next: VerdictBatch = { payloads: [], published: Promise.resolve() };
      // Batches are sent in the order they were opened, on one connection: Redis runs them in that order.
      // Timers of one duration fire in the order they were set, so batches are published in order.
      next.published = new Promise<void>((resolve) => setTimeout(resolve, VERDICT_WINDOW_MS)).then(() => {
        if (this.verdicts === next) this.verdicts = undefined;
        return this.publishVerdicts(next.payloads);
      });
      this.verdicts = batch = next;
    }
    batch.payloads.push(JSON.stringify(payload));
    return batch.published;
  }

  private publishVerdicts(payloads: string[]): Promise<void> {
    const ref = feedStream(this.options.keyPrefix, 'gates');
    return this.guard(
      'gates',
      () => this.scripts.rtAppendAndAnnounceEach(ref.stream, GATE_HISTORY_LENGTH, ref.channel, ...payloads),
      payloads.length,
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

  /** Runs a publish of `messages` messages; a failure is logged and counts every one of them. */
  private async guard(feed: string, publish: () => Promise<unknown>, messages = 1): Promise<void> {
    try {
      await publish();
    } catch (err) {
      this.options.failures?.inc({ feed }, messages);
      this.options.logger.warn({ err: (err as Error).message, feed, messages }, 'real-time publish failed');
    }
  }
}
