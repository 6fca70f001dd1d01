/**
 * The per-day texts of the `rows` layout (`access_log_daily.buckets`, ≈ 8-17 KB a day), kept in the
 * API process as UTF-8 bytes with the row version they were read at. A month of hourly buckets is
 * ≈ 30 such texts: sending them from Postgres for every uncached answer was most of what the
 * answer cost (Postgres reading and sending ≈ 220 KB, the API receiving and decoding it), yet a
 * finished day's text only changes when a late write lands in it.
 *
 * The version is the row's `xmin`: every rewrite of a day (the statement trigger of migration
 * 20261205_601, which also takes the row as a lock with an update) writes a new row version with
 * the writing transaction's id, so a day whose `xmin` is the one held here has the text held here.
 * The query asks for a day's text only when its version differs (same statement, same snapshot as
 * the rest of the answer), so an answer is never older than what the database it read held.
 * Transaction ids wrap around after 2^32; entries live an hour at most, far less than any server
 * takes to use 2^32 ids, so a wrapped id can never be mistaken for the one held.
 */
import { LRUCache } from 'lru-cache';

interface DayText {
  version: string;
  bytes: Buffer;
}

/** Bytes of day texts one process keeps: a year of days at the bench's density (6 gates, ≈ 17 KB a day). */
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
const MAX_AGE_MS = 3_600_000;

export class DayTextCache {
  private readonly days: LRUCache<number, DayText>;
  /** Day texts used from this cache, and read from Postgres (new or changed): what a test checks. */
  readonly counts = { reused: 0, read: 0 };

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.days = new LRUCache({ maxSize: maxBytes, sizeCalculation: (day) => Math.max(day.bytes.length, 1), ttl: MAX_AGE_MS });
  }

  /**
   * What this process holds of the days in [from, to): their `"<day ms>:<version>"` (the texts the
   * query need not send) and, for each day of the answer, its text — the one the query sent (kept
   * for the next answers), else the one held when the query was asked (so an entry evicted
   * meanwhile by other answers is still at hand).
   */
  holding(
    from: number,
    to: number,
    dayMs: number,
  ): { versions: string[]; text(day: number, version: string, sent: string | null): Buffer } {
    const held = new Map<number, DayText>();
    for (let day = from; day < to; day += dayMs) {
      const text = this.days.get(day);
      if (text) held.set(day, text);
    }
    return {
      versions: [...held].map(([day, text]) => `${day}:${text.version}`),
      text: (day, version, sent) => {
        if (sent === null) {
          const text = held.get(day);
          // Postgres leaves a text out only when its version is one of `versions`.
          if (!text || text.version !== version) throw new Error(`day text ${new Date(day).toISOString()} at ${version} was not held`);
          this.counts.reused++;
          return text.bytes;
        }
        const bytes = Buffer.from(sent);
        this.days.set(day, { version, bytes });
        this.counts.read++;
        return bytes;
      },
    };
  }
}
