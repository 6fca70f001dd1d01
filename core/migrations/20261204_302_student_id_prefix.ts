import type { Knex } from 'knex';

/**
 * Student ids by prefix, in byte order (`text_pattern_ops`, so `like 'cs2020%'` is a range of
 * this btree whatever the database's collation). A search for an id prefix (`cs2020`: tens of
 * thousands of ids at a million students) learns here, from at most a thousand index entries,
 * that its prefix tier is broad, instead of expanding the prefix over every matching word of the
 * GIN index (100-300 ms) to count its candidates.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index idx_students_student_id_prefix on students (lower(student_id) text_pattern_ops) where deleted_at is null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists idx_students_student_id_prefix');
}
