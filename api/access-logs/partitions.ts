/**
 * Monthly partitions of `access_logs`, created ahead of time. A month whose rows already landed in
 * the DEFAULT partition (written before its partition existed) gets them moved into the new
 * partition in the same transaction, so creating a partition late never loses or strands a row.
 */
import type { Knex } from 'knex';

/** The first instant (UTC) of the month containing `at`, shifted by `offset` months. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export function partitionName(month: Date): string {
  return `access_logs_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Months (their first instants) that cover [from, to]. */
export function monthsCovering(from: Date, to: Date): Date[] {
  const months: Date[] = [];
  for (let m = monthStart(from); m <= to; m = monthStart(m, 1)) months.push(m);
  return months;
}

async function createMonth(knex: Knex, month: Date): Promise<boolean> {
  const name = partitionName(month);
  const from = month.toISOString();
  const to = monthStart(month, 1).toISOString();
  return knex.transaction(async (trx) => {
    // Serialises partition creation across API processes; the existence check is repeated under the lock.
    await trx.raw(`select pg_advisory_xact_lock(hashtext('access_logs_partitions'))`);
    const exists = await trx.raw<{ rows: unknown[] }>('select 1 from pg_class where relname = ? and relkind = ?', [name, 'r']);
    if (exists.rows.length > 0) return false;
    await trx.raw(`create table ?? (like access_logs including defaults including constraints)`, [name]);
    await trx.raw(
      `with moved as (delete from access_logs_default where occurred_at >= ? and occurred_at < ? returning *)
       insert into ?? select * from moved`,
      [from, to, name],
    );
    await trx.raw(`alter table access_logs attach partition ?? for values from ('${from}') to ('${to}')`, [name]);
    return true;
  });
}

/** Ensures a partition exists for every month from `from` to `to`; returns the names it created. */
export async function ensureAccessLogPartitions(knex: Knex, range: { from: Date; to: Date }): Promise<string[]> {
  const created: string[] = [];
  for (const month of monthsCovering(range.from, range.to)) {
    if (await createMonth(knex, month)) created.push(partitionName(month));
  }
  return created;
}

/** The current month and the next `monthsAhead`. */
export function ensurePartitionsAhead(knex: Knex, now: Date, monthsAhead: number): Promise<string[]> {
  return ensureAccessLogPartitions(knex, { from: now, to: monthStart(now, monthsAhead) });
}
