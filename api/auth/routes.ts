import { z } from 'zod';
import type { AppDeps } from '../context.js';
import { unauthorized } from '../../domain/errors.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import { authUserOf, rotateRefreshToken, startSession } from './sessions.js';
import { findUserByEmail, findUserById, type UserRow } from '../../domain/accounts/repository.js';
import { revokeSession } from '../../domain/accounts/sessions.js';
import { TokenPairView, UserView } from './views.js';

const route = routeGroup({ tag: 'auth', sla: 'auth' });

const LoginBody = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
});

const RefreshBody = z.object({ refreshToken: z.string().min(20).max(200) });

function publicUser(user: UserRow) {
  return { id: user.id, email: user.email, role: user.role, displayName: user.display_name, studentRef: user.student_ref };
}

async function tokenPair(deps: AppDeps, user: UserRow, sessionId: string, refreshToken: string) {
  const token = await deps.tokens.signAccess(authUserOf(user, sessionId));
  return { token, refreshToken, tokenType: 'Bearer', expiresIn: deps.tokens.accessTtlSeconds, user: publicUser(user) };
}

export function authRoutes(deps: AppDeps): AnyRoute[] {
  const authLimit = deps.rateLimits.middleware('auth');
  return [
    route({
      method: 'post',
      path: '/auth/login',
      summary: 'Exchange e-mail and password for an access token and a refresh token',
      access: 'public',
      response: { data: TokenPairView },
      body: LoginBody,
      responses: { 200: 'Token pair and user', 401: 'Wrong credentials', 429: 'Too many attempts' },
      async handler(ctx, { body }) {
        await deps.rateLimits.assertLoginAllowed(body.email, ctx.ip);
        const user = await findUserByEmail(deps.db.primary, body.email);
        const valid =
          user && !user.barred ? await verifyPassword(user.password_hash, body.password) : (await verifyAgainstDummy(body.password), false);
        if (!user || !valid) {
          await deps.rateLimits.recordLoginFailure(body.email, ctx.ip);
          throw unauthorized('The e-mail or password is wrong.', 'INVALID_CREDENTIALS');
        }
        await deps.rateLimits.clearLoginFailures(body.email, ctx.ip);
        const session = await startSession(deps.db.primary, user, deps.config.REFRESH_TOKEN_TTL_SECONDS);
        ctx.set('Cache-Control', 'no-store');
        return { data: await tokenPair(deps, user, session.sessionId, session.refreshToken) };
      },
    }),
    route({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Spend a refresh token for a new token pair (rotation; reuse revokes the session)',
      access: 'public',
      response: { data: TokenPairView },
      before: [authLimit],
      body: RefreshBody,
      responses: { 200: 'New token pair', 401: 'Invalid, expired, revoked or reused refresh token' },
      async handler(ctx, { body }) {
        const rotated = await rotateRefreshToken(
          deps.db.primary,
          body.refreshToken,
          deps.config.REFRESH_TOKEN_TTL_SECONDS,
          ctx.state.requestId,
          deps.sessions,
        );
        ctx.set('Cache-Control', 'no-store');
        return { data: await tokenPair(deps, rotated.user, rotated.sessionId, rotated.refreshToken) };
      },
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the current session: its refresh tokens and access tokens stop working',
      access: ['admin', 'staff', 'security', 'student'],
      responses: { 204: 'Logged out' },
      async handler(ctx, { user }) {
        if (user) await deps.sessions.announce([user.sessionId, ...(await revokeSession(deps.db.primary, user.id, user.sessionId))]);
        ctx.status = 204;
      },
    }),
    route({
      method: 'get',
      path: '/auth/me',
      summary: 'The calling user',
      access: ['admin', 'staff', 'security', 'student'],
      response: { data: UserView },
      async handler(_ctx, { user }) {
        const row = user ? await findUserById(deps.db.primary, user.id) : undefined;
        if (!row || row.barred) throw unauthorized('The account is disabled.', 'ACCOUNT_DISABLED');
        return { data: publicUser(row) };
      },
    }),
  ];
}
