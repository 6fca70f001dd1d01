import type { Knex } from 'knex';

/**
 * Indexes for the tiered student search (api/students/search.ts), so that no search term, however
 * broad, costs more than a page:
 *
 * - the name's words (the A-weighted part of `search_vector`) get a GIN index of their own: a
 *   weighted tsquery (`john:A`) on the whole vector is answered by the GIN index without weights
 *   and rechecked row by row, which for a common word is most of the table;
 * - (last name, first name, student id), the order inside a tier, so a broad tier reads the first
 *   rows of this btree that match instead of sorting every match; it carries the id and the search
 *   vector, so that walk never visits the table (an index-only scan) except for the page's rows;
 * - student ids in lower case, for the exact-id tier (the unique index is on the id as stored).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create index idx_students_name_words on students using gin (to_tsvector('simple', first_name || ' ' || last_name))
      where deleted_at is null;
    create index idx_students_name_order on students (last_name, first_name, student_id) include (id, search_vector)
      where deleted_at is null;
    create index idx_students_student_id_lower on students (lower(student_id)) where deleted_at is null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists idx_students_name_words, idx_students_name_order, idx_students_student_id_lower');
}
