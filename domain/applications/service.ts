/**
 * What happens to a pass application, each step one audited transaction: a student submits it;
 * staff review, approve (which issues its pass in the same transaction) or reject it; the student
 * withdraws it. Every move is checked against the state machine on the locked row, so two
 * reviewers cannot both decide one application. The caller announces the result after the commit.
 */
import type { Knex } from 'knex';
import { auditedAction, type Actor, type RecordEvent } from '../audit.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { issueRecordedPass } from '../passes/service.js';
import { validityIssue, type PassType } from '../passes/schemas.js';
import type { PassSigner } from '../passes/signing.js';
import type { PassDto } from '../passes/views.js';
import {
  insertApplication,
  lockApplication,
  unusableAttachments,
  updateApplication,
  type ApplicationDto,
  type ApplicationRow,
} from './repository.js';
import type { ApplicationCreateInput, ApproveInput, RejectInput, ReviewInput, WithdrawInput } from './schemas.js';
import { allowedActions, nextStatus, type ApplicationAction } from './state-machine.js';

/** The submitting account, as actor: always a user. */
type Submitter = Actor & { id: string };

/**
 * Refuses (throws) when the caller may not act on this application; checked on the locked row
 * (the API's "students act only on their own" guard).
 */
export type MayAct = (row: ApplicationRow) => void;

export function submitApplication(db: Knex, actor: Submitter, studentId: string, input: ApplicationCreateInput): Promise<ApplicationDto> {
  return auditedAction(db, actor, async (trx, record) => {
    const unusable = await unusableAttachments(trx, actor.id, input.attachmentIds);
    if (unusable.length)
      throw unprocessable('Some attachments are not usable uploads of yours.', 'UNUSABLE_ATTACHMENTS', { attachmentIds: unusable });
    const created = await insertApplication(trx, { ...input, studentId, submittedBy: actor.id });
    await record({
      eventType: 'application.submitted',
      entityType: 'application',
      entityId: created.id,
      details: { passType: created.passType },
    });
    return created;
  });
}

/**
 * Runs one state-machine action under a row lock: refuses it with 409 when the machine does not
 * allow it from the current status, applies `change` (which may issue a pass), records the move.
 */
function move(
  db: Knex,
  actor: Actor,
  id: string,
  action: ApplicationAction,
  mayAct: MayAct,
  change: (trx: Knex.Transaction, row: ApplicationRow, record: RecordEvent) => Promise<Record<string, unknown>>,
  details: Record<string, unknown>,
): Promise<ApplicationDto> {
  return auditedAction(db, actor, async (trx, record) => {
    const row = await lockApplication(trx, id);
    if (!row) throw notFound('Application');
    mayAct(row);
    const to = nextStatus(row.status, action);
    if (!to) {
      throw conflict(`An application that is ${row.status} cannot be moved by '${action}'.`, 'ILLEGAL_TRANSITION', {
        from: row.status,
        action,
        allowedActions: allowedActions(row.status),
      });
    }
    const updated = await updateApplication(trx, id, { status: to, ...(await change(trx, row, record)) });
    await record({
      eventType: `application.${to}`,
      entityType: 'application',
      entityId: id,
      details: { from: row.status, to, action, ...details },
    });
    return updated;
  });
}

/** Takes an application under review, optionally re-prioritising it. */
export function reviewApplication(db: Knex, actor: Actor, id: string, input: ReviewInput, mayAct: MayAct): Promise<ApplicationDto> {
  const priority = input.priority !== undefined ? { priority: input.priority } : {};
  return move(db, actor, id, 'review', mayAct, async () => ({ reviewer_id: actor.id, ...priority }), input);
}

/** Approves an application and issues its pass (staff may narrow the validity and the gates). */
export async function approveApplication(
  db: Knex,
  actor: Actor,
  signer: PassSigner,
  id: string,
  input: ApproveInput,
  mayAct: MayAct,
): Promise<{ application: ApplicationDto; pass: PassDto | undefined }> {
  let pass: PassDto | undefined;
  const application = await move(
    db,
    actor,
    id,
    'approve',
    mayAct,
    async (trx, row, record) => {
      const validFrom = input.validFrom ? new Date(input.validFrom) : row.requested_valid_from;
      const validUntil = input.validUntil ? new Date(input.validUntil) : row.requested_valid_until;
      const issue = validityIssue(row.pass_type as PassType, validFrom, validUntil);
      if (issue) throw unprocessable(issue, 'INVALID_VALIDITY');
      const issued = await issueRecordedPass(
        trx,
        record,
        signer,
        {
          studentId: row.student_id,
          passType: row.pass_type as PassType,
          validFrom,
          validUntil,
          gates: input.gates ?? row.gates,
          applicationId: row.id,
          issuedBy: actor.id,
        },
        { applicationId: row.id },
      );
      pass = issued;
      return { pass_id: issued.id, reviewer_id: actor.id, decided_at: trx.fn.now(), decision_reason: input.reason ?? null };
    },
    { reason: input.reason ?? null },
  );
  return { application, pass };
}

/** Rejects an application with the reason the student will see. */
export function rejectApplication(db: Knex, actor: Actor, id: string, input: RejectInput, mayAct: MayAct): Promise<ApplicationDto> {
  return move(
    db,
    actor,
    id,
    'reject',
    mayAct,
    async (trx) => ({ reviewer_id: actor.id, decided_at: trx.fn.now(), decision_reason: input.reason }),
    { reason: input.reason },
  );
}

/** The student withdraws their application before it is decided. */
export function withdrawApplication(db: Knex, actor: Actor, id: string, input: WithdrawInput, mayAct: MayAct): Promise<ApplicationDto> {
  return move(db, actor, id, 'withdraw', mayAct, async (trx) => ({ decided_at: trx.fn.now(), decision_reason: input.reason ?? null }), {
    reason: input.reason ?? null,
  });
}
