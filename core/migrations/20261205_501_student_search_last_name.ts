import type { Knex } from 'knex';

/**
 * Where a common last name's students begin, for the whole-word name tier of the search
 * (api/students/search.ts). Walking the name-order btree from its start until a page of `smith`
 * is found read ~843,000 entries at a million students (0.5 s), since the Smiths are all at S.
 *
 * - (lower(last_name), last_name, first_name, student_id): the students whose last name is the
 *   word, already in the name order (equal first column), so the tier's page of them is a range
 *   read that stops at the page;
 * - the name's words other than a plain last name (letters and digits only, whose one word is its
 *   lower case, i.e. the rows the btree above finds): the first name's words, and a last name's
 *   when it has several (`Smith-Jones`) or other characters. With it the tier's other rows (a
 *   first name Smith) are found, and counted, without reading the Smiths.
 *
 * `if not exists`: on a database of a million students these were first built by hand
 * (`create index concurrently`, same definitions) to measure them; migrating it then keeps them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create index if not exists idx_students_last_name_lower on students (lower(last_name), last_name, first_name, student_id)
      where deleted_at is null;
    create index if not exists idx_students_other_name_words on students using gin (
      to_tsvector('simple', first_name || case when last_name ~ '^[A-Za-z0-9]+$' then '' else ' ' || last_name end));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists idx_students_last_name_lower, idx_students_other_name_words');
}
