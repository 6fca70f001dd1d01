/**
 * Bulk loading of access logs for seeds and benchmarks: ten million rows in minutes, not the
 * fifty minutes that inserting them batch by batch into the live table took.
 *
 * What made the batches slow was keeping everything current row by row: each batch of rows
 * spread over 90 days touched every hour's rollup row and inserted into the by-pass, by-student
 * and by-gate indexes at random places (ten million rows make indexes far larger than the
 * buffer cache, so most of those inserts read a page from disk). Here, in one transaction:
 *
 * 1. the rows are generated into a temporary table (no WAL, no index);
 * 2. the secondary (non-unique) indexes of `access_logs` are dropped, their definitions kept;
 * 3. the rows go in one ISO week at a time in time order, so the primary key and the entry-id
 *    index only grow at their right edge; the presence trigger is off meanwhile;
 * 4. the hourly rollup gets one `group by` over all the rows, and so does the presence rollup
 *    (the trigger's own query), into a temporary table first: rows of periods that have no
 *    presence rows yet go in as plain inserts, the rest are merged as the trigger merges them.
 *    The trigger used to merge a week at a time: every month's and year's rows of the load were
 *    conflicts from its second week on, and an insert `on conflict` (a speculative insertion)
 *    cost 2.4 times a plain one in a test over 2.2 million presence rows;
 * 5. the indexes are rebuilt by sorting (CREATE INDEX), far cheaper than millions of inserts.
 *
 * The table is locked for the duration (DROP INDEX): for seeding a benchmark or demo database,
 * not one serving traffic. Any failure rolls everything back, indexes included.
 */
import type { Knex } from 'knex';
import { MERGE_PRESENCE, presenceOf } from '../core/migrations/20261204_301_access_log_presence.js';

/** The columns a generator must produce, in this order. */
export const LOADED_COLUMNS = ['occurred_at', 'pass_id', 'student_id', 'gate', 'direction', 'outcome'] as const;

export interface BulkLoadTimings {
  rows: number;
  generateMs: number;
  insertMs: number;
  rollupMs: number;
  indexMs: number;
}

/**
 * The presence rollup of the rows in `access_logs_load`: plain inserts for the periods that have
 * no presence row yet (all of them in a fresh database), the trigger's merge for the others.
 */
async function loadPresence(trx: Knex.Transaction): Promise<void> {
  await trx.raw('create temporary table access_log_presence_load (like access_log_presence) on commit drop');
  await trx.raw(`insert into access_log_presence_load ${presenceOf('access_logs_load')}`);
  // A few hundred periods, each looked up by the primary key's leading columns.
  await trx.raw(
    `create temporary table access_log_presence_taken on commit drop as
     select l.period, l.period_start from (select distinct period, period_start from access_log_presence_load) l
      where exists (select 1 from access_log_presence p where p.period = l.period and p.period_start = l.period_start)`,
  );
  const taken = `exists (select 1 from access_log_presence_taken t where t.period = l.period and t.period_start = l.period_start)`;
  await trx.raw(`insert into access_log_presence select l.* from access_log_presence_load l where not ${taken} order by 1, 2, 3`);
  await trx.raw(
    `insert into access_log_presence as p select l.* from access_log_presence_load l where ${taken} order by 1, 2, 3 ${MERGE_PRESENCE}`,
  );
}

/**
 * Inserts the rows of `generator` (a SELECT producing LOADED_COLUMNS) into `access_logs`, with
 * the hourly and presence rollups. The months' partitions must exist (ensureAccessLogPartitions).
 */
export async function bulkLoadAccessLogs(
  knex: Knex,
  generator: { sql: string; bindings: readonly Knex.RawBinding[] },
  log: (message: string) => void = () => undefined,
): Promise<BulkLoadTimings> {
  const timings = await knex.transaction(async (trx) => {
    const clock = () => performance.now();
    await trx.raw(`set local maintenance_work_mem = '512MB'`);
    await trx.raw(`set local work_mem = '128MB'`);
    let t = clock();
    await trx.raw(`create temporary table access_logs_load on commit drop as select ${LOADED_COLUMNS.join(', ')} from access_logs limit 0`);
    const inserted = await trx.raw<{ rowCount: number }>(
      `insert into access_logs_load (${LOADED_COLUMNS.join(', ')}) ${generator.sql}`,
      generator.bindings as Knex.RawBinding[],
    );
    await trx.raw('create index on access_logs_load (occurred_at)');
    await trx.raw('analyze access_logs_load');
    const generateMs = clock() - t;
    log(`access logs: ${inserted.rowCount} rows generated in ${(generateMs / 1000).toFixed(1)} s`);

    t = clock();
    const indexes = (
      await trx.raw<{ rows: { name: string; definition: string }[] }>(
        `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
           from pg_index i join pg_class c on c.oid = i.indexrelid
          where i.indrelid = 'access_logs'::regclass and not i.indisunique and not i.indisprimary`,
      )
    ).rows;
    for (const index of indexes) await trx.raw('drop index ??', [index.name]);
    // No other writer can add presence rows meanwhile: DROP INDEX holds access_logs exclusively.
    await trx.raw('alter table access_logs disable trigger access_logs_presence');
    const weeks = (
      await trx.raw<{ rows: { week: Date }[] }>(
        `select distinct date_trunc('week', occurred_at, 'UTC') as week from access_logs_load order by 1`,
      )
    ).rows;
    for (const { week } of weeks) {
      await trx.raw(
        `insert into access_logs (${LOADED_COLUMNS.join(', ')})
         select ${LOADED_COLUMNS.join(', ')} from access_logs_load
          where occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz + interval '168 hours'
          order by occurred_at`,
        [week, week],
      );
    }
    await trx.raw('alter table access_logs enable trigger access_logs_presence');
    const insertMs = clock() - t;
    log(`access logs: inserted in ${weeks.length} weekly statements in ${(insertMs / 1000).toFixed(1)} s`);

    t = clock();
    await trx.raw(
      `insert into access_log_hourly (bucket, gate, direction, outcome, count)
       select date_trunc('hour', occurred_at, 'UTC'), gate, direction, outcome, count(*) from access_logs_load
        group by 1, 2, 3, 4
       on conflict (bucket, gate, direction, outcome) do update set count = access_log_hourly.count + excluded.count`,
    );
    await loadPresence(trx);
    const rollupMs = clock() - t;

    t = clock();
    // A partitioned index is defined "on only" the parent; without ONLY it is built on every partition.
    for (const index of indexes) await trx.raw(index.definition.replace(' ON ONLY ', ' ON '));
    const indexMs = clock() - t;
    log(
      `access logs: hourly and presence rollups ${(rollupMs / 1000).toFixed(1)} s, ${indexes.length} indexes rebuilt in ${(indexMs / 1000).toFixed(1)} s`,
    );
    return { rows: inserted.rowCount, generateMs, insertMs, rollupMs, indexMs };
  });
  await knex.raw('analyze access_logs, access_log_hourly, access_log_presence');
  return timings;
}
