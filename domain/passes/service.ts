/** Issuing and revoking passes, each an audited transaction (or a step of one, for an approval). */
import type { Knex } from 'knex';
import { auditedAction, type Actor, type RecordEvent } from '../audit.js';
import { issuePass, revokePass, type IssuePassInput } from './repository.js';
import type { PassSigner } from './signing.js';
import type { PassDto } from './views.js';

/** Inside a running audited action: issues the pass and records `pass.issued` with `details`. */
export async function issueRecordedPass(
  trx: Knex.Transaction,
  record: RecordEvent,
  signer: PassSigner,
  input: IssuePassInput,
  details: Record<string, unknown>,
): Promise<PassDto> {
  const pass = await issuePass(trx, signer, input);
  await record({ eventType: 'pass.issued', entityType: 'pass', entityId: pass.id, details });
  return pass;
}

/** Issues a pass directly (not through an application). */
export function issueDirectPass(db: Knex, actor: Actor, signer: PassSigner, input: IssuePassInput): Promise<PassDto> {
  return auditedAction(db, actor, (trx, record) =>
    issueRecordedPass(trx, record, signer, input, { passType: input.passType, studentId: input.studentId }),
  );
}

/** Revokes an active pass; undefined when there is none of that id still active (the caller tells which). */
export function revokeActivePass(db: Knex, actor: Actor, id: string, reason: string): Promise<PassDto | undefined> {
  return auditedAction(db, actor, async (trx, record) => {
    const pass = await revokePass(trx, id, actor.id, reason);
    if (pass) await record({ eventType: 'pass.revoked', entityType: 'pass', entityId: pass.id, details: { reason } });
    return pass;
  });
}
