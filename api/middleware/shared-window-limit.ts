/**
 * A per-client request limit shared by every API process without a Redis round trip per request.
 *
 * Windows are fixed and aligned to the clock (`points` per `durationSeconds`). A process decides
 * each request locally, from the window's total as Redis last reported it plus what it admitted
 * since. Every `syncMs` (sooner when a key's unsent count nears what is left of its allowance) it
 * adds what it admitted to Redis — one INCRBY per active key, all sent at once — and reads the
 * total back. So one process never admits more than the limit, and N processes together admit at
 * most what the others took within one sync (bounded by a tenth of the remaining allowance per
 * process): the price of dropping a Redis round trip from every request, which was the general
 * limit's whole cost in the profile (docs/perf/). When Redis cannot answer, each process keeps
 * counting alone (the same limit, per process) and sends its counts when Redis is back.
 */
import type { RedisClient } from '../../core/redis.js';

// KEYS: the window's counter. ARGV: what this process admitted since its last sync, the window's
// end (ms since the epoch). Returns the window's total across processes.
const ADD_TO_WINDOW_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total == tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return total`;

interface WindowCommands {
  rateLimitAddToWindow(key: string, admitted: number, windowEndMs: number): Promise<number>;
}

/** One client's count in the current window, as this process knows it. */
interface WindowCount {
  window: number;
  /** The window's total across processes when Redis last answered (it includes what this process had sent). */
  reported: number;
  /** Admitted here and not yet sent. */
  unsent: number;
  /** Sent, and Redis has not answered yet. */
  sending: number;
}

export interface SharedWindowLimitOptions {
  redis: RedisClient;
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  /** How often admitted counts are sent to Redis. */
  syncMs?: number;
  /** The current time (tests move it). */
  now?: () => number;
}

export type LimitDecision = { allowed: true } | { allowed: false; msBeforeNext: number };

/** Windows end this long after their last second in Redis, so a process whose clock is a little late still finds its counter. */
const EXPIRY_SLACK_MS = 5_000;

export class SharedWindowLimit {
  private readonly counts = new Map<string, WindowCount>();
  private readonly durationMs: number;
  private readonly commands: WindowCommands;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private syncing: Promise<void> | undefined;
  private syncSoon = false;

  constructor(private readonly options: SharedWindowLimitOptions) {
    this.durationMs = options.durationSeconds * 1000;
    this.now = options.now ?? Date.now;
    options.redis.defineCommand('rateLimitAddToWindow', { numberOfKeys: 1, lua: ADD_TO_WINDOW_SCRIPT });
    this.commands = options.redis as unknown as WindowCommands;
    // A round still waiting on Redis (slow, or hung until its deadline) is not queued behind again.
    this.timer = setInterval(() => void (this.syncing ?? this.sync()), options.syncMs ?? 100);
    this.timer.unref();
  }

  /** Counts one request of `key`, or refuses it with the time until its window ends. */
  consume(key: string): LimitDecision {
    const now = this.now();
    const window = Math.floor(now / this.durationMs);
    let count = this.counts.get(key);
    if (!count || count.window !== window) {
      count = { window, reported: 0, unsent: 0, sending: 0 };
      this.counts.set(key, count);
    }
    const used = count.reported + count.unsent + count.sending;
    if (used >= this.options.points) return { allowed: false, msBeforeNext: (window + 1) * this.durationMs - now };
    count.unsent++;
    // Near the limit other processes' counts matter more: send this one's before it could overshoot by much.
    if (count.unsent >= Math.max(1, Math.ceil((this.options.points - count.reported) / 10)) && !this.syncSoon) {
      this.syncSoon = true;
      setImmediate(() => void this.sync());
    }
    return { allowed: true };
  }

  /**
   * Sends every key's unsent count to Redis and takes back the totals; resolves once everything
   * admitted before the call has been offered to Redis (after a round already under way, if any).
   */
  sync(): Promise<void> {
    this.syncSoon = false;
    const round = (this.syncing ?? Promise.resolve()).then(() => this.sendCounts());
    this.syncing = round;
    void round.finally(() => {
      if (this.syncing === round) this.syncing = undefined;
    });
    return round;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async sendCounts(): Promise<void> {
    const window = Math.floor(this.now() / this.durationMs);
    const sends: Promise<void>[] = [];
    for (const [key, count] of this.counts) {
      if (count.window < window && count.unsent === 0 && count.sending === 0) {
        this.counts.delete(key);
        continue;
      }
      if (count.unsent === 0) continue;
      const admitted = count.unsent;
      count.unsent = 0;
      count.sending += admitted;
      const windowEndMs = (count.window + 1) * this.durationMs + EXPIRY_SLACK_MS;
      sends.push(
        this.commands.rateLimitAddToWindow(`${this.options.keyPrefix}:${key}:${count.window}`, admitted, windowEndMs).then(
          (total) => {
            count.sending -= admitted;
            count.reported = Math.max(count.reported, Number(total));
          },
          () => {
            // Redis did not take them: they stay counted here and go with the next sync.
            count.sending -= admitted;
            count.unsent += admitted;
          },
        ),
      );
    }
    await Promise.all(sends);
  }
}
