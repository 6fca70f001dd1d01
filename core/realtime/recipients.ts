/** Who receives a notification about a student's records: the accounts that belong to the student. */
import type { Knex } from 'knex';

export async function usersOfStudent(knex: Knex, studentId: string): Promise<string[]> {
  const rows = (await knex('users').select('id').where({ student_ref: studentId }).whereNull('disabled_at')) as { id: string }[];
  return rows.map((row) => row.id);
}
