import type { Next } from 'koa';
import type { AppContext, AppDeps } from '../context.js';
import { unauthorized } from '../errors.js';

/** Requires `Authorization: Bearer <access token>` and puts the caller on `ctx.state.user`. */
export function authenticate(deps: AppDeps) {
  return async (ctx: AppContext, next: Next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized();
    ctx.state.user = await deps.tokens.verifyAccess(match[1]);
    return next();
  };
}
