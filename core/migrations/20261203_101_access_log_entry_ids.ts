import type { Knex } from 'knex';

/**
 * Access-log entries carry the id the API gave them when it journaled them locally, so replaying
 * the local spill after a crash or an outage inserts each passage once (`on conflict do nothing`
 * on this index; the partition key is part of it, as a partitioned table's unique index needs).
 * Older rows have no id and never conflict.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table access_logs add column entry_id uuid;
    create unique index idx_access_logs_entry on access_logs (occurred_at, entry_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists idx_access_logs_entry; alter table access_logs drop column if exists entry_id');
}
