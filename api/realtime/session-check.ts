/**
 * Authenticates a real-time client with the same access tokens as the REST routes, and the same
 * revoked-session check (api/auth/session-revocations.ts): a token whose session was revoked is
 * refused at connect, and an open socket is closed when the revocation is learnt.
 */
import { decodeJwt } from 'jose';
import type { SessionRevocations } from '../auth/session-revocations.js';
import type { TokenService } from '../auth/tokens.js';
import type { AuthUser } from '../context.js';
import { unauthorized } from '../../domain/errors.js';

export interface RealtimeIdentity {
  user: AuthUser;
  expiresAtMs: number;
}

export type RealtimeAuthenticator = (token: string) => Promise<RealtimeIdentity>;

export function realtimeAuthenticator(tokens: TokenService, sessions: Pick<SessionRevocations, 'has'>): RealtimeAuthenticator {
  return async (token) => {
    const user = await tokens.verifyAccess(token);
    if (sessions.has(user.sessionId)) throw unauthorized('This session has been revoked; log in again.', 'SESSION_REVOKED');
    // The signature was verified just above, so the claims can be read as they are.
    const { exp } = decodeJwt(token);
    return { user, expiresAtMs: (exp ?? 0) * 1000 };
  };
}
