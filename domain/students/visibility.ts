/**
 * A soft-deleted student is hidden everywhere the API lists or reads by id: their passes,
 * applications and access logs drop out of every list and read as 404, for every role. The rows
 * stay in Postgres (the audit trail and the gate history are kept, and `audit_logs` records the
 * deletion); aggregate analytics still count them, as they name nobody.
 */
import type { Knex } from 'knex';

/** Keeps only rows whose student (in `studentColumn`, table-qualified) is not soft-deleted. */
export function hideDeletedStudents<T extends Knex.QueryBuilder>(q: T, studentColumn: string): T {
  q.whereNotExists(function deletedStudent(this: Knex.QueryBuilder) {
    this.select(1)
      .from('students as hidden_student')
      .whereRaw('hidden_student.id = ??', [studentColumn])
      .whereNotNull('hidden_student.deleted_at');
  });
  return q;
}
