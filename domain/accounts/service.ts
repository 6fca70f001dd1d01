/**
 * An admin disables or re-enables an account, one audited transaction: `disabled_at` is set or
 * cleared (audited only when it changed) and, when disabling, every session of the account is
 * revoked in the same transaction. The caller announces the revoked sessions after the commit.
 */
import type { Knex } from 'knex';
import { auditedAction, type Actor } from '../audit.js';
import { notFound } from '../errors.js';
import { findUserById, type UserRow } from './repository.js';
import { revokeUserSessions } from './sessions.js';

export function setAccountDisabled(db: Knex, actor: Actor, id: string, disable: boolean): Promise<{ row: UserRow; sessions: string[] }> {
  return auditedAction(db, actor, async (trx, record) => {
    const accounts = trx('users').where({ id });
    const updated = await (disable ? accounts.whereNull('disabled_at') : accounts.whereNotNull('disabled_at')).update({
      disabled_at: disable ? trx.fn.now() : null,
    });
    const row = await findUserById(trx, id);
    if (!row) throw notFound('Account');
    if (updated > 0) await record({ eventType: disable ? 'user.disabled' : 'user.enabled', entityType: 'user', entityId: id });
    return { row, sessions: disable ? await revokeUserSessions(trx, id) : [] };
  });
}
