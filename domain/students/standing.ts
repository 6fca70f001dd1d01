/**
 * What a student's standing allows. Passes belong to active students: a student who leaves
 * `active` (suspended, withdrawn, graduated) or is deleted loses every active pass, in the same
 * transaction as the change. A suspended, withdrawn or deleted student also loses every login
 * session and may not log in again until reinstated (see api/auth/sessions.ts). The caller
 * announces the revocations after the commit (api/students/standing.ts).
 */
import type { Knex } from 'knex';
import { revokeStudentSessions } from '../accounts/sessions.js';
import { revokeStudentPasses } from '../passes/repository.js';
import { BARRED_STUDENT_STATUSES } from './schemas.js';

export interface EndedAccess {
  passes: { id: string; validUntil: Date }[];
  sessionIds: string[];
}

const NOTHING_ENDED: EndedAccess = { passes: [], sessionIds: [] };

/**
 * Inside the transaction that changes the student: revokes what the new standing no longer
 * allows. `change` is the new status, or `deleted`.
 */
export async function endAccessFor(trx: Knex.Transaction, studentId: string, change: string, by: string | null): Promise<EndedAccess> {
  if (change === 'active') return NOTHING_ENDED;
  const passes = await revokeStudentPasses(trx, studentId, by, `student ${change}`);
  const barred = change === 'deleted' || (BARRED_STUDENT_STATUSES as readonly string[]).includes(change);
  const sessionIds = barred ? await revokeStudentSessions(trx, studentId) : [];
  return { passes, sessionIds };
}
