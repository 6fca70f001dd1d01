/** SQL for accounts (the `users` table): found by e-mail or id, with whether they may hold a session. */
import type { Knex } from 'knex';
import { BARRED_STUDENT_STATUSES } from '../students/schemas.js';
import type { Role } from './roles.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: Role;
  display_name: string;
  student_ref: string | null;
  disabled_at: Date | null;
  /** Whether the account may not hold a session (disabled, or its student deleted, suspended or withdrawn). */
  barred: boolean;
}

/**
 * The account for an e-mail address, with whether it may hold a session at all: a disabled account
 * may not, nor may a student account whose student is deleted, suspended or withdrawn.
 */
export async function findUserByEmail(db: Knex, email: string): Promise<UserRow | undefined> {
  return withStanding(db).whereRaw('lower(users.email) = lower(?)', [email]).first();
}

/** The account with the given id, with its standing (see findUserByEmail). */
export async function findUserById(db: Knex | Knex.Transaction, id: string): Promise<UserRow | undefined> {
  return withStanding(db).where('users.id', id).first();
}

function withStanding(db: Knex | Knex.Transaction) {
  return db<UserRow>('users')
    .leftJoin('students', 'students.id', 'users.student_ref')
    .select('users.*')
    .select(
      db.raw('(users.disabled_at is not null or students.deleted_at is not null or coalesce(students.status in (?, ?), false)) as barred', [
        ...BARRED_STUDENT_STATUSES,
      ]),
    );
}
