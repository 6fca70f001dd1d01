/**
 * An admin disables or re-enables an account (a stolen staff login, someone who left). Disabling
 * commits `disabled_at` and revokes every session of the account in one transaction, then
 * announces the sessions to every API process, so its access tokens stop working at once and it
 * can neither log in nor refresh. An admin cannot disable their own account (no lock-out by slip).
 */
import { z } from 'zod';
import { auditedAction, type Actor } from '../../domain/audit.js';
import { conflict, notFound } from '../../domain/errors.js';
import type { AppDeps } from '../context.js';
import { actorOf, routeGroup, type AnyRoute } from '../route.js';
import { revokeUserSessions } from '../../domain/accounts/sessions.js';
import { findUserById, type UserRow } from './sessions.js';
import { AccountView } from './views.js';

const route = routeGroup({ tag: 'auth', sla: 'auth' });

const AccountParams = z.object({ id: z.uuid() });

function account(user: UserRow) {
  return { id: user.id, email: user.email, role: user.role, displayName: user.display_name, disabled: user.disabled_at !== null };
}

/**
 * Sets or clears `disabled_at` (audited only when it changed) and, when disabling, revokes every
 * session in the same transaction. Returns the account and the sessions to announce.
 */
async function setDisabled(deps: AppDeps, id: string, disable: boolean, by: Actor): Promise<{ row: UserRow; sessions: string[] }> {
  return auditedAction(deps.db.primary, by, async (trx, record) => {
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

export function accountRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/users/:id/disable',
      summary: 'Disable an account: its sessions end at once, it cannot log in until enabled',
      access: ['admin'],
      response: { data: AccountView },
      params: AccountParams,
      responses: { 200: 'Disabled (or already disabled)', 404: 'No such account', 409: 'Your own account' },
      async handler(ctx, { params, user }) {
        if (params.id === user.id) throw conflict('You cannot disable your own account.', 'OWN_ACCOUNT');
        const { row, sessions } = await setDisabled(deps, params.id, true, actorOf(ctx, user));
        await deps.sessions.announce(sessions);
        return { data: account(row) };
      },
    }),
    route({
      method: 'post',
      path: '/users/:id/enable',
      summary: 'Enable a disabled account again (it logs in anew; old sessions stay revoked)',
      access: ['admin'],
      response: { data: AccountView },
      params: AccountParams,
      responses: { 200: 'Enabled (or already enabled)', 404: 'No such account' },
      async handler(ctx, { params, user }) {
        const { row } = await setDisabled(deps, params.id, false, actorOf(ctx, user));
        return { data: account(row) };
      },
    }),
  ];
}
