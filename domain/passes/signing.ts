/**
 * Pass tokens: what a QR code carries. `kid.payload.signature`, all base64url, where the Ed25519
 * signature covers `kid.payload`. The payload names the pass, its holder, its validity window and
 * gates, so a gate can reject a forged, altered, expired or not-yet-valid code without a database
 * read. The key id selects the verification key, so keys rotate: new passes are signed with the
 * current key while passes signed with an older key verify for as long as that key is listed.
 */
import { createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

export interface PassClaims {
  passId: string;
  studentId: string;
  passType: 'standard' | 'temporary';
  /** Validity window, epoch seconds (inclusive start, exclusive end). */
  validFrom: number;
  validUntil: number;
  /** Gates the pass opens; absent means every gate. */
  gates?: string[];
  issuedAt: number;
}

export type TokenCheck = { ok: true; kid: string; claims: PassClaims } | { ok: false; reason: 'malformed' | 'forged' };

const Payload = z
  .object({
    p: z.uuid(),
    s: z.uuid(),
    t: z.enum(['s', 't']),
    f: z.number().int(),
    u: z.number().int(),
    g: z.array(z.string()).optional(),
    i: z.number().int(),
  })
  .strict();

const KID = /^[A-Za-z0-9_-]{1,32}$/;
const TOKEN = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{10,2000})\.([A-Za-z0-9_-]{86})$/;

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A deterministic development key, so every process of one dev/test deployment signs alike. */
export function developmentSigningKey(secret: string): KeyObject {
  const seed = Buffer.from(hkdfSync('sha256', secret, 'passplatform', 'pass-signing-key', 32));
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function pem(text: string): string {
  // Keys passed through environment variables often arrive with escaped newlines.
  return text.includes('\\n') ? text.replace(/\\n/g, '\n') : text;
}

export class PassSigner {
  private readonly verifyKeys = new Map<string, KeyObject>();
  /**
   * Codes whose signature has been checked, by their exact text. A pass's code never changes and
   * the keys are fixed for the process, so the answer never does: a gate scanning the same pass on
   * the way in and out costs one Ed25519 verification and one payload parse, not two. Only valid
   * codes are kept (a flood of forgeries cannot push them out faster than they are scanned).
   */
  private readonly checked = new LRUCache<string, TokenCheck & { ok: true }>({ max: 50_000 });

  constructor(
    private readonly privateKey: KeyObject,
    readonly keyId: string,
    extraVerifyKeys: Record<string, KeyObject> = {},
  ) {
    if (!KID.test(keyId)) throw new Error('PASS_SIGNING_KEY_ID must be 1-32 letters, digits, - or _');
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('PASS_SIGNING_KEY must be an Ed25519 private key');
    for (const [kid, key] of Object.entries(extraVerifyKeys)) this.verifyKeys.set(kid, key);
    this.verifyKeys.set(keyId, createPublicKey(privateKey));
  }

  /** Builds the signer from configuration; outside production a missing key is derived, with a warning. */
  static fromConfig(config: Config, logger: Logger): PassSigner {
    const extra: Record<string, KeyObject> = {};
    if (config.PASS_VERIFY_KEYS) {
      const parsed = z.record(z.string().regex(KID), z.string()).parse(JSON.parse(config.PASS_VERIFY_KEYS));
      for (const [kid, key] of Object.entries(parsed)) extra[kid] = createPublicKey(pem(key));
    }
    if (config.PASS_SIGNING_KEY) return new PassSigner(createPrivateKey(pem(config.PASS_SIGNING_KEY)), config.PASS_SIGNING_KEY_ID, extra);
    if (config.NODE_ENV === 'production') throw new Error('PASS_SIGNING_KEY is required in production');
    logger.warn(
      { keyId: config.PASS_SIGNING_KEY_ID },
      'PASS_SIGNING_KEY is not set; signing passes with a development key derived from JWT_SECRET',
    );
    return new PassSigner(developmentSigningKey(config.JWT_SECRET), config.PASS_SIGNING_KEY_ID, extra);
  }

  /** The public key of the current signing key, as PEM (for listing it in another deployment's PASS_VERIFY_KEYS). */
  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  sign(claims: PassClaims): string {
    const payload: z.infer<typeof Payload> = {
      p: claims.passId,
      s: claims.studentId,
      t: claims.passType === 'temporary' ? 't' : 's',
      f: claims.validFrom,
      u: claims.validUntil,
      ...(claims.gates && claims.gates.length > 0 ? { g: claims.gates } : {}),
      i: claims.issuedAt,
    };
    const signed = `${this.keyId}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signed}.${sign(null, Buffer.from(signed), this.privateKey).toString('base64url')}`;
  }

  /** Checks shape and signature only; time, gate and revocation are the verifier's business. */
  check(token: string): TokenCheck {
    const known = this.checked.get(token);
    if (known) return known;
    const match = TOKEN.exec(token);
    if (!match) return { ok: false, reason: 'malformed' };
    const [, kid = '', body = '', signature = ''] = match;
    const key = this.verifyKeys.get(kid);
    if (!key) return { ok: false, reason: 'forged' };
    // The token is ASCII (the pattern above): its signed part is a view of one buffer, not a new string and a copy.
    const signed = Buffer.from(token, 'latin1').subarray(0, kid.length + 1 + body.length);
    if (!verify(null, signed, key, Buffer.from(signature, 'base64url'))) return { ok: false, reason: 'forged' };
    let payload: z.infer<typeof Payload>;
    try {
      payload = Payload.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      // Validly signed but unreadable: only a bug of ours or a stolen key could produce it.
      return { ok: false, reason: 'forged' };
    }
    const valid: TokenCheck & { ok: true } = {
      ok: true,
      kid,
      claims: {
        passId: payload.p,
        studentId: payload.s,
        passType: payload.t === 't' ? 'temporary' : 'standard',
        validFrom: payload.f,
        validUntil: payload.u,
        ...(payload.g ? { gates: Object.freeze(payload.g) as string[] } : {}),
        issuedAt: payload.i,
      },
    };
    // Shared by every later check of this code: frozen, so no caller can change it for the others.
    Object.freeze(valid.claims);
    this.checked.set(token, Object.freeze(valid));
    return valid;
  }
}
