/**
 * An admin disables or re-enables an account (a stolen staff login, someone who left). Disabling
 * commits `disabled_at` and revokes every session of the account in one transaction, then
 * announces the sessions to every API process, so its access tokens stop working at once and it
 * can neither log in nor refresh. An admin cannot disable their own account (no lock-out by slip).
 */
import { z } from 'zod';
import { conflict } from '../../domain/errors.js';
import type { AppDeps } from '../context.js';
import { actorOf, routeGroup, type AnyRoute } from '../route.js';
import type { UserRow } from '../../domain/accounts/repository.js';
import { setAccountDisabled } from '../../domain/accounts/service.js';
import { AccountView } from './views.js';

const route = routeGroup({ tag: 'auth', sla: 'auth' });

const AccountParams = z.object({ id: z.uuid() });

function account(user: UserRow) {
  return { id: user.id, email: user.email, role: user.role, displayName: user.display_name, disabled: user.disabled_at !== null };
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
        const { row, sessions } = await setAccountDisabled(deps.db.primary, actorOf(ctx, user), params.id, true);
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
        const { row } = await setAccountDisabled(deps.db.primary, actorOf(ctx, user), params.id, false);
        return { data: account(row) };
      },
    }),
  ];
}
