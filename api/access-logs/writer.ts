/**
 * Access logs: each entry is first made durable in the local spill (api/access-logs/spill.ts),
 * then moved to Postgres in batches, so a verification never waits on an INSERT and an answered
 * one is never lost — not to a crash, not to a Postgres outage, not to a shutdown while Postgres
 * is down (the spill is replayed at the next start). Each batch goes in with one statement that
 * also bumps the hourly rollup, counting only rows actually inserted, so a replayed entry (its
 * id already present) changes neither the rows nor the rollup.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';
import { AccessLogSpill } from './spill.js';

export type Direction = 'entry' | 'exit';

export interface AccessLogEntry {
  /** Identifies the entry across replays of the spill (generated when absent). */
  entryId?: string;
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
  /** Directory of the local spill; one process per directory (a pod's emptyDir or volume). */
  spillDir: string;
}

const INSERT_WITH_ROLLUP = `
  with rows as (
    select * from jsonb_to_recordset(?::jsonb) as r(
      entry_id uuid, occurred_at timestamptz, pass_id uuid, student_id uuid, gate text, direction text,
      outcome text, verified_by uuid, request_id text)
  ), inserted as (
    insert into access_logs (entry_id, occurred_at, pass_id, student_id, gate, direction, outcome, verified_by, request_id)
    select entry_id, occurred_at, pass_id, student_id, gate, direction, outcome, verified_by, request_id from rows
    on conflict (occurred_at, entry_id) do nothing
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
    entry_id: e.entryId ?? randomUUID(),
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

/** Inserts entries and their rollup counts at once, skipping entries already present (by id). */
export async function insertAccessLogs(knex: Knex, entries: AccessLogEntry[]): Promise<void> {
  await insertRecordLines(
    knex,
    entries.map((entry) => JSON.stringify(toRecord(entry))),
  );
}

/** The same from the spill's lines (each one record's JSON), sent as one array without parsing them again. */
async function insertRecordLines(knex: Knex, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await knex.raw(INSERT_WITH_ROLLUP, [`[${lines.join(',')}]`]);
}

export class AccessLogWriter {
  private readonly spill: AccessLogSpill;
  private flushing: Promise<void> | undefined;
  private backgroundFlush: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly options: AccessLogWriterOptions) {
    this.spill = new AccessLogSpill(options.spillDir, options.logger);
    if (options.registry) {
      const buffered = () => this.buffered;
      new Gauge({
        name: METRIC.accessLogBuffer,
        help: 'Access log entries journaled by this process (durable on local disk), not yet in Postgres.',
        registers: [options.registry],
        collect() {
          this.set(buffered());
        },
      });
    }
  }

  /** Entries durable in the spill but not yet confirmed in Postgres. */
  get buffered(): number {
    return this.spill.entries;
  }

  /**
   * Opens the spill (taking over what a previous run left), starts the periodic flush, and tries
   * one flush at once so a previous run's entries reach Postgres first. Postgres being down does
   * not stop the start: the entries wait on disk.
   */
  async start(): Promise<void> {
    this.started ??= this.spill.open();
    await this.started;
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.options.flushIntervalMs);
    this.timer.unref();
    await this.flush().catch((err: Error) =>
      this.options.logger.warn({ err: err.message, pending: this.buffered }, 'access log spill not replayed yet; Postgres unavailable'),
    );
  }

  /** Records an entry durably (local fsync); it reaches Postgres with the next flush. */
  async append(entry: AccessLogEntry): Promise<void> {
    this.started ??= this.spill.open();
    await this.started;
    await this.spill.append([JSON.stringify(toRecord(entry))]);
    if (this.buffered >= this.options.batchSize) this.flushInBackground();
  }

  /**
   * A flush unless one is already waiting or running: every append past the batch size used to
   * queue one of its own, so under load hundreds waited in line and then ran back to back, each
   * moving the handful of entries appended since the one before (a query, a new segment file
   * and its directory sync, a delete each). Now the flush after the running one takes all of them.
   */
  private flushInBackground(): void {
    if (this.backgroundFlush) return;
    this.backgroundFlush = this.flush()
      .catch(() => undefined)
      .finally(() => {
        this.backgroundFlush = undefined;
      });
  }

  /**
   * Moves everything journaled so far into Postgres, oldest first; throws if Postgres cannot take
   * it (the entries stay on disk for the next flush). One flush at a time; later callers wait for
   * theirs, so when this resolves every entry appended before the call is in the table.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    this.started ??= this.spill.open();
    await this.started;
    this.flushing = (async () => {
      try {
        // Two passes: the first may only take segments left from before (the one being appended
        // to stays open while older ones wait), the second then takes that one too.
        for (let pass = 0; pass < 2; pass++) {
          for (const segment of await this.spill.seal()) {
            for await (const batch of this.spill.read(segment, this.options.batchSize)) await insertRecordLines(this.options.knex, batch);
            await this.spill.remove(segment);
          }
        }
      } catch (err) {
        this.options.logger.warn(
          { err: (err as Error).message, pending: this.buffered },
          'access log flush failed; entries stay in the spill',
        );
        throw err;
      } finally {
        this.flushing = undefined;
      }
    })();
    await this.flushing;
  }

  /** Stops the timer and writes what is left; what cannot be written stays in the spill for the next start. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
    } catch {
      this.options.logger.error(
        { pending: this.buffered, dir: this.options.spillDir },
        'access logs could not be written at shutdown; they stay in the spill and are replayed at the next start',
      );
    }
    await this.spill.close();
  }
}
