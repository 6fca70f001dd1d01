/**
 * Short-lived access tokens (JWT, HS256, via jose) and opaque refresh tokens. Only a SHA-256 hash
 * of a refresh token is stored, so a database leak does not leak usable tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { ROLES, type AuthUser } from '../context.js';
import { unauthorized } from '../../domain/errors.js';

const ClaimsSchema = z.object({
  sub: z.string().uuid(),
  role: z.enum(ROLES),
  sref: z.string().uuid().nullable(),
  sid: z.string().uuid(),
});

export interface TokenOptions {
  secret: string;
  issuer: string;
  accessTtlSeconds: number;
}

/** A token already verified: what it says, and when it stops being valid. */
interface VerifiedToken {
  user: AuthUser;
  expiresAtMs: number;
}

export class TokenService {
  private readonly key: Uint8Array;
  /**
   * Tokens already verified, by their exact text: a client sends the same token on every request
   * for its lifetime, and what it says cannot change (the key and issuer are fixed for the
   * process); only time can end it, so a hit checks the expiry and nothing else. Revoked sessions
   * are the caller's check (api/middleware/authenticate.ts), made on every request either way.
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: 20_000 });

  constructor(private readonly options: TokenOptions) {
    this.key = new TextEncoder().encode(options.secret);
  }

  get accessTtlSeconds(): number {
    return this.options.accessTtlSeconds;
  }

  async signAccess(user: AuthUser): Promise<string> {
    return new SignJWT({ role: user.role, sref: user.studentRef, sid: user.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(this.options.issuer)
      .setIssuedAt()
      .setExpirationTime(`${this.options.accessTtlSeconds}s`)
      .sign(this.key);
  }

  /** Verifies signature, issuer and expiry; throws a 401 AppError otherwise. */
  async verifyAccess(token: string): Promise<AuthUser> {
    const known = this.verified.get(token);
    if (known) {
      // jose's own rule: expired once the clock reaches `exp` (no tolerance).
      if (Date.now() >= known.expiresAtMs) {
        this.verified.delete(token);
        throw unauthorized('The access token has expired.', 'TOKEN_EXPIRED');
      }
      return known.user;
    }
    try {
      // A token without `exp` would never expire, so its presence is required, not merely checked when there.
      const { payload } = await jwtVerify(token, this.key, {
        issuer: this.options.issuer,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      const claims = ClaimsSchema.parse(payload);
      // Shared by every request carrying this token: frozen, so none can change it for the others.
      const user: AuthUser = Object.freeze({ id: claims.sub, role: claims.role, studentRef: claims.sref, sessionId: claims.sid });
      this.verified.set(token, { user, expiresAtMs: (payload.exp ?? 0) * 1000 });
      return user;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('The access token has expired.', 'TOKEN_EXPIRED');
      throw unauthorized('The access token is not valid.', 'INVALID_TOKEN');
    }
  }
}

/** A new opaque refresh token: 256 random bits, URL-safe. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
