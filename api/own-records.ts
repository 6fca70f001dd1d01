/**
 * The "students see only their own" rule, in one place: a student account reads (or acts on) only
 * the records of the student it is linked to; every other role the route admits passes.
 */
import type { AuthUser } from './context.js';
import { forbidden } from '../domain/errors.js';

/** Refuses (403) a student touching a record of another student; `what` names the records in the message. */
export function assertOwnRecord(user: AuthUser, studentId: string, what: string, verb: 'read' | 'act on' = 'read'): void {
  if (user.role === 'student' && user.studentRef !== studentId) {
    throw forbidden(`Students may ${verb === 'read' ? 'read only' : 'act only on'} their own ${what}.`);
  }
}

/**
 * A student's list filter: asking for another student's records is refused (403); the answer is
 * the student the list is narrowed to, undefined for an account linked to none (the route decides).
 */
export function ownStudentFilter(user: AuthUser, requested: string | undefined, what: string): string | undefined {
  if (requested && requested !== user.studentRef) throw forbidden(`Students may read only their own ${what}.`);
  return user.studentRef ?? undefined;
}
