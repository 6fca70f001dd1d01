/**
 * What changes a student, each change one audited transaction: create, update (a change of status
 * ends the access the new standing no longer allows) and soft-delete. The caller announces what
 * was ended and retires its caches after the commit.
 */
import type { Knex } from 'knex';
import { auditedAction, type Actor } from '../audit.js';
import { insertStudent, softDeleteStudent, updateStudent } from './repository.js';
import type { StudentCreateInput, StudentPatchInput } from './schemas.js';
import { endAccessFor, type EndedAccess } from './standing.js';
import type { StudentDto } from './views.js';

export function createStudent(db: Knex, actor: Actor, input: StudentCreateInput): Promise<StudentDto> {
  return auditedAction(db, actor, async (trx, record) => {
    const created = await insertStudent(trx, input);
    await record({ eventType: 'student.created', entityType: 'student', entityId: created.id });
    return created;
  });
}

/** Undefined when there is no such student. */
export function changeStudent(
  db: Knex,
  actor: Actor,
  id: string,
  patch: StudentPatchInput,
): Promise<{ student: StudentDto; ended: EndedAccess | undefined } | undefined> {
  return auditedAction(db, actor, async (trx, record) => {
    const student = await updateStudent(trx, id, patch);
    if (!student) return undefined;
    const ended = patch.status ? await endAccessFor(trx, id, patch.status, actor.id) : undefined;
    const details = {
      fields: Object.keys(patch),
      ...(ended ? { passesRevoked: ended.passes.length, sessionsRevoked: ended.sessionIds.length } : {}),
    };
    await record({ eventType: 'student.updated', entityType: 'student', entityId: id, details });
    return { student, ended };
  });
}

/** Soft-deletes a student and ends their access; undefined when there is no such student. */
export function deleteStudent(db: Knex, actor: Actor, id: string): Promise<EndedAccess | undefined> {
  return auditedAction(db, actor, async (trx, record) => {
    if (!(await softDeleteStudent(trx, id))) return undefined;
    const ended = await endAccessFor(trx, id, 'deleted', actor.id);
    const details = { passesRevoked: ended.passes.length, sessionsRevoked: ended.sessionIds.length };
    await record({ eventType: 'student.deleted', entityType: 'student', entityId: id, details });
    return ended;
  });
}
