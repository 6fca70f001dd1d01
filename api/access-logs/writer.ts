/**
 * Appends access logs in batches so a verification never waits on an INSERT. Each batch goes in
 * with one statement that also bumps the hourly rollup, so the rollup can never disagree with the
 * rows. A failed batch stays buffered and is retried; when the buffer is full, callers wait for a
 * flush instead of dropping entries; `close()` flushes what is left (and, if the database is gone,
 * writes the entries to the log so they are still recoverable).
 */
import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';

export type Direction = 'entry' | 'exit';

export interface AccessLogEntry {
  occurredAt: Date;
  passId: string | null;
  studentId: string | null;
  gate: string;
  direction: Direction;
  /** `valid`, or the reason the code was refused. */
  outcome: string;
  verifiedBy: string | null;
  requestId: string | null;
}

export interface AccessLogWriterOptions {
  knex: Knex;
  logger: Logger;
  registry?: Registry;
  flushIntervalMs: number;
  batchSize: number;
  /** Past this many buffered entries, `append` waits for a flush (back-pressure, never loss). */
  maxBuffered: number;
}

const INSERT_WITH_ROLLUP = `
  with rows as (
    select * from jsonb_to_recordset(?::jsonb) as r(
      occurred_at timestamptz, pass_id uuid, student_id uuid, gate text, direction text,
      outcome text, verified_by uuid, request_id text)
  ), inserted as (
    insert into access_logs (occurred_at, pass_id, student_id, gate, direction, outcome, verified_by, request_id)
    select occurred_at, pass_id, student_id, gate, direction, outcome, verified_by, request_id from rows
    returning occurred_at, gate, direction, outcome
  )
  insert into access_log_hourly (bucket, gate, direction, outcome, count)
  select date_trunc('hour', occurred_at, 'UTC'), gate, direction, outcome, count(*) from inserted
  group by 1, 2, 3, 4
  -- A fixed order makes concurrent flushes from several processes lock rollup rows alike (no deadlock).
  order by 1, 2, 3, 4
  on conflict (bucket, gate, direction, outcome) do update set count = access_log_hourly.count + excluded.count`;

function toRecord(e: AccessLogEntry) {
  return {
    occurred_at: e.occurredAt.toISOString(),
    pass_id: e.passId,
    student_id: e.studentId,
    gate: e.gate,
    direction: e.direction,
    outcome: e.outcome,
    verified_by: e.verifiedBy,
    request_id: e.requestId,
  };
}

/** Inserts entries and their rollup counts at once (also used directly when batching is off). */
export async function insertAccessLogs(knex: Knex, entries: AccessLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await knex.raw(INSERT_WITH_ROLLUP, [JSON.stringify(entries.map(toRecord))]);
}

export class AccessLogWriter {
  private buffer: AccessLogEntry[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: AccessLogWriterOptions) {
    if (options.registry) {
      const buffered = () => this.buffered;
      new Gauge({
        name: METRIC.accessLogBuffer,
        help: 'Access log entries buffered in this process, not yet written.',
        registers: [options.registry],
        collect() {
          this.set(buffered());
        },
      });
    }
  }

  get buffered(): number {
    return this.buffer.length;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async append(entry: AccessLogEntry): Promise<void> {
    if (this.closed) {
      await insertAccessLogs(this.options.knex, [entry]);
      return;
    }
    this.buffer.push(entry);
    if (this.buffer.length >= this.options.maxBuffered) await this.flush();
    else if (this.buffer.length >= this.options.batchSize) void this.flush().catch(() => undefined);
  }

  /** Writes everything buffered so far; one flush at a time, later callers wait for theirs. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = (async () => {
      let written = 0;
      try {
        for (; written < batch.length; written += this.options.batchSize) {
          await insertAccessLogs(this.options.knex, batch.slice(written, written + this.options.batchSize));
        }
      } catch (err) {
        // Keep the unwritten rest, ahead of anything buffered meanwhile; the next flush retries it.
        this.buffer = batch.slice(written).concat(this.buffer);
        this.options.logger.warn({ err: (err as Error).message, buffered: this.buffer.length }, 'access log flush failed; will retry');
        throw err;
      } finally {
        this.flushing = undefined;
      }
    })();
    await this.flushing;
  }

  /** Stops the timer and writes what is left; entries that still cannot be written go to the log. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
    } catch {
      this.options.logger.error(
        { unwritten: this.buffer.map(toRecord) },
        'access logs could not be written at shutdown; recorded here for recovery',
      );
      this.buffer = [];
    }
  }
}
