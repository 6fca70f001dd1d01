/**
 * Login sessions as refresh-token families. Each refresh spends its token and issues the next in
 * the same family; presenting a spent token again means it was stolen (or replayed), so the whole
 * family is revoked and both the thief and the owner must log in again.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { auditedAction } from '../../domain/audit.js';
import type { AuthUser } from '../context.js';
import { findUserById, type UserRow } from '../../domain/accounts/repository.js';
import type { AppError } from '../../domain/errors.js';
import { unauthorized } from '../../domain/errors.js';
import type { SessionRevocations } from './session-revocations.js';
import { hashRefreshToken, newRefreshToken } from './tokens.js';

interface RefreshRow {
  id: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export function authUserOf(user: UserRow, sessionId: string): AuthUser {
  return { id: user.id, role: user.role, studentRef: user.student_ref, sessionId };
}

async function insertRefreshToken(db: Knex | Knex.Transaction, userId: string, familyId: string, ttlSeconds: number): Promise<string> {
  const token = newRefreshToken();
  await db('refresh_tokens').insert({
    user_id: userId,
    family_id: familyId,
    token_hash: hashRefreshToken(token),
    expires_at: new Date(Date.now() + ttlSeconds * 1000),
  });
  return token;
}

/** Starts a new session (refresh-token family) for a user who has just proven their password. */
export async function startSession(db: Knex, user: UserRow, ttlSeconds: number): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  const refreshToken = await insertRefreshToken(db, user.id, sessionId, ttlSeconds);
  return { sessionId, refreshToken };
}

/** Spends a refresh token and issues its successor; detects reuse and revokes the family. */
export async function rotateRefreshToken(
  db: Knex,
  presented: string,
  ttlSeconds: number,
  requestId: string,
  revocations: SessionRevocations,
): Promise<{ user: UserRow; sessionId: string; refreshToken: string }> {
  // The caller is anonymous until the token is read: a reuse is recorded under the token's owner.
  const outcome = await auditedAction(
    db,
    { id: null, requestId },
    async (trx, record): Promise<{ error: AppError; revoked?: string } | { user: UserRow; sessionId: string; refreshToken: string }> => {
      const row = (await trx('refresh_tokens')
        .where({ token_hash: hashRefreshToken(presented) })
        .forUpdate()
        .first()) as RefreshRow | undefined;
      if (!row) return { error: unauthorized('The refresh token is not valid.', 'INVALID_REFRESH_TOKEN') };
      if (row.revoked_at) return { error: unauthorized('This session has been revoked; log in again.', 'SESSION_REVOKED') };
      if (row.used_at) {
        await trx('refresh_tokens').where({ family_id: row.family_id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
        await record({ actorId: row.user_id, eventType: 'auth.refresh_token_reused', entityType: 'session', entityId: row.family_id });
        return {
          error: unauthorized('This refresh token was already used; the session is revoked.', 'REFRESH_TOKEN_REUSED'),
          revoked: row.family_id,
        };
      }
      if (row.expires_at.getTime() <= Date.now()) return { error: unauthorized('The refresh token has expired.', 'REFRESH_TOKEN_EXPIRED') };
      const user = await findUserById(trx, row.user_id);
      if (!user || user.barred) return { error: unauthorized('The account is disabled.', 'ACCOUNT_DISABLED') };
      await trx('refresh_tokens').where({ id: row.id }).update({ used_at: trx.fn.now() });
      const refreshToken = await insertRefreshToken(trx, user.id, row.family_id, ttlSeconds);
      return { user, sessionId: row.family_id, refreshToken };
    },
  );
  // The revocation above must commit even though the caller is refused, hence the error is thrown here.
  if ('error' in outcome) {
    if (outcome.revoked) await revocations.announce([outcome.revoked]);
    throw outcome.error;
  }
  return outcome;
}
