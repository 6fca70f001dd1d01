/**
 * What a student's standing allows. Passes belong to active students: a student who leaves
 * `active` (suspended, withdrawn, graduated) or is deleted loses every active pass, in the same
 * transaction as the change. A suspended, withdrawn or deleted student also loses every login
 * session and may not log in again until reinstated (see api/auth/sessions.ts).
 * The revocations are then announced to every API process: gates refuse the passes and the
 * sessions' access tokens stop working on their next request.
 */
import type { Knex } from 'knex';
import type { AppDeps } from '../context.js';
import { revokeStudentSessions } from '../auth/sessions.js';
import { revokeStudentPasses } from '../../domain/passes/repository.js';
import { BARRED_STUDENT_STATUSES } from '../../domain/students/schemas.js';

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

/** After the commit: tells every API process (and so every gate) what was revoked. */
export async function announceEndedAccess(deps: Pick<AppDeps, 'passes' | 'sessions'>, ended: EndedAccess): Promise<void> {
  await Promise.all([
    ...ended.passes.map((pass) => deps.passes.revocations.announce(pass.id, pass.validUntil)),
    deps.sessions.announce(ended.sessionIds),
  ]);
}
