/**
 * Ending login sessions (refresh-token families) in SQL: by session, by account, by student. The
 * API's logout and account routes and a student's change of standing use them; each returns the
 * session ids it revoked, for the caller to announce after the commit.
 */
import type { Knex } from 'knex';

/** Ends a session: every token of the family is revoked. Returns the session ids revoked. */
export async function revokeSession(db: Knex, userId: string, sessionId: string): Promise<string[]> {
  return revokedFamilies(
    db('refresh_tokens')
      .where({ family_id: sessionId, user_id: userId })
      .whereNull('revoked_at')
      .update({ revoked_at: db.fn.now() }, ['family_id']),
  );
}

/** Ends every session of one account; returns the session ids revoked. */
export async function revokeUserSessions(trx: Knex.Transaction, userId: string): Promise<string[]> {
  return revokedFamilies(
    trx('refresh_tokens').where('user_id', userId).whereNull('revoked_at').update({ revoked_at: trx.fn.now() }, ['family_id']),
  );
}

/** Ends every session of the accounts belonging to a student; returns the session ids revoked. */
export async function revokeStudentSessions(trx: Knex.Transaction, studentId: string): Promise<string[]> {
  return revokedFamilies(
    trx('refresh_tokens')
      .whereIn('user_id', trx('users').select('id').where('student_ref', studentId))
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now() }, ['family_id']),
  );
}

async function revokedFamilies(update: Promise<{ family_id: string }[]>): Promise<string[]> {
  return [...new Set((await update).map((r) => r.family_id))];
}
