/**
 * Authenticates a real-time client with the same access tokens as the REST routes, and also asks
 * whether its session is still alive (a REST request is short; a socket may outlive a logout, so
 * it is checked at connect and closed when a revocation is announced).
 */
import type { Knex } from 'knex';
import { decodeJwt } from 'jose';
import type { TokenService } from '../auth/tokens.js';
import type { AuthUser } from '../context.js';
import { unauthorized } from '../errors.js';

export interface RealtimeIdentity {
  user: AuthUser;
  expiresAtMs: number;
}

export type RealtimeAuthenticator = (token: string) => Promise<RealtimeIdentity>;

/** A session is over once any token of its family was revoked, or its account disabled. */
export async function sessionEnded(knex: Knex, user: AuthUser): Promise<boolean> {
  const { rows } = (await knex.raw(
    `select exists (select 1 from refresh_tokens where family_id = ? and revoked_at is not null)
         or exists (select 1 from users where id = ? and disabled_at is not null) as ended`,
    [user.sessionId, user.id],
  )) as { rows: { ended: boolean }[] };
  return rows[0]?.ended === true;
}

export function realtimeAuthenticator(tokens: TokenService, knex: Knex): RealtimeAuthenticator {
  return async (token) => {
    const user = await tokens.verifyAccess(token);
    if (await sessionEnded(knex, user)) throw unauthorized('This session has been revoked; log in again.', 'SESSION_REVOKED');
    // The signature was verified just above, so the claims can be read as they are.
    const { exp } = decodeJwt(token);
    return { user, expiresAtMs: (exp ?? 0) * 1000 };
  };
}
