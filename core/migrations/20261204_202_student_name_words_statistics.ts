import type { Knex } from 'knex';

/**
 * Two fixes to the search tiers' planning:
 * - the name-words GIN index, no longer partial: ANALYZE keeps statistics of an index expression
 *   only for a full index, and without them the planner took every name for as common as any
 *   other (a fixed 0.5 %), so it could not tell a tier of a rare name from a broad one;
 * - no parallel workers on students: its queries read a page by key or by index, and a walk of a
 *   broad tier (a few hundred index entries) was handed to workers whose start took 20-50 ms.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index idx_students_name_words;
    create index idx_students_name_words on students using gin (to_tsvector('simple', first_name || ' ' || last_name));
    alter table students set (parallel_workers = 0);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index idx_students_name_words;
    create index idx_students_name_words on students using gin (to_tsvector('simple', first_name || ' ' || last_name))
      where deleted_at is null;
    alter table students reset (parallel_workers);
  `);
}
