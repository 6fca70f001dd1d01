import type { Next } from 'koa';
import type { AppContext, AppDeps } from '../context.js';
import { unauthorized } from '../../domain/errors.js';

/**
 * Requires `Authorization: Bearer <access token>` of a session that has not been revoked, and puts
 * the caller on `ctx.state.user`. The revocation check is a local look-up (api/auth/session-revocations.ts).
 */
export function authenticate(deps: AppDeps) {
  return async (ctx: AppContext, next: Next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized();
    const user = await deps.tokens.verifyAccess(match[1]);
    if (deps.sessions.has(user.sessionId)) throw unauthorized('This session has ended; log in again.', 'SESSION_REVOKED');
    ctx.state.user = user;
    return next();
  };
}
