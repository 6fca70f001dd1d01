import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLogger } from '../../core/logger.js';
import { loadConfig } from '../../core/config.js';
import { PassSigner, developmentSigningKey, type PassClaims } from '../../domain/passes/signing.js';
import { checkClaims, isPassback } from './verifier.js';

const claims = (over: Partial<PassClaims> = {}): PassClaims => ({
  passId: randomUUID(),
  studentId: randomUUID(),
  passType: 'standard',
  validFrom: 1_800_000_000,
  validUntil: 1_800_086_400,
  issuedAt: 1_799_999_000,
  ...over,
});

const newKey = () => generateKeyPairSync('ed25519').privateKey;

describe('pass tokens', () => {
  const signer = new PassSigner(newKey(), 'k1');

  it('round-trips the claims, gates included', () => {
    const c = claims({ gates: ['library', 'main-gate'], passType: 'temporary' });
    const checked = signer.check(signer.sign(c));
    assert.deepEqual(checked, { ok: true, kid: 'k1', claims: c });
  });

  it('calls a code signed by another key, or under an unknown key id, forged', () => {
    const other = new PassSigner(newKey(), 'k1');
    assert.deepEqual(signer.check(other.sign(claims())), { ok: false, reason: 'forged' });
    const unknownKid = new PassSigner(newKey(), 'k9');
    assert.deepEqual(signer.check(unknownKid.sign(claims())), { ok: false, reason: 'forged' });
  });

  it('calls any altered payload, key id or signature forged', () => {
    const token = signer.sign(claims());
    const [kid = '', body = '', sig = ''] = token.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as { u: number };
    payload.u += 86_400 * 365;
    const extended = `${kid}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    assert.deepEqual(signer.check(extended), { ok: false, reason: 'forged' });
    const flipped = `${kid}.${body}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    assert.deepEqual(signer.check(flipped), { ok: false, reason: 'forged' });
    assert.deepEqual(signer.check(`k2.${body}.${sig}`), { ok: false, reason: 'forged' });
  });

  it('calls anything that is not a token malformed', () => {
    for (const junk of ['', 'hello', 'a.b.c', `k1.${'x'.repeat(20)}.short`, 'k1..'.padEnd(200, '=')]) {
      assert.deepEqual(signer.check(junk), { ok: false, reason: 'malformed' }, junk);
    }
  });

  it('verifies passes signed with a retired key listed for verification (rotation)', () => {
    const oldKey = newKey();
    const old = new PassSigner(oldKey, 'k1');
    const oldToken = old.sign(claims());
    const rotated = new PassSigner(newKey(), 'k2', { k1: oldKey });
    assert.equal(rotated.check(oldToken).ok, true);
    assert.equal(rotated.check(rotated.sign(claims())).ok, true);
    assert.equal(old.check(rotated.sign(claims())).ok, false);
  });

  it('derives one development key per secret, refuses to run without a key in production, reads PEM keys with escaped newlines', () => {
    const a = developmentSigningKey('s'.repeat(32));
    const b = developmentSigningKey('s'.repeat(32));
    assert.deepEqual(a.export({ format: 'der', type: 'pkcs8' }), b.export({ format: 'der', type: 'pkcs8' }));
    const base = { DATABASE_URL: 'postgres://x@localhost/db', JWT_SECRET: 'j'.repeat(32) };
    const logger = createLogger('test', 'silent');
    assert.throws(() => PassSigner.fromConfig(loadConfig({ ...base, NODE_ENV: 'production' }), logger), /PASS_SIGNING_KEY is required/);
    const key = newKey();
    const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString().replace(/\n/g, '\\n');
    const fromEnv = PassSigner.fromConfig(
      loadConfig({ ...base, NODE_ENV: 'production', PASS_SIGNING_KEY: pem, PASS_SIGNING_KEY_ID: 'prod-2026' }),
      logger,
    );
    assert.equal(fromEnv.keyId, 'prod-2026');
    assert.equal(new PassSigner(key, 'prod-2026').check(fromEnv.sign(claims())).ok, true);
  });
});

describe('claims and anti-passback decisions', () => {
  const c = claims({ gates: ['main-gate'] });
  it('judges the validity window with an inclusive start and exclusive end', () => {
    assert.equal(checkClaims(c, { nowSeconds: c.validFrom - 1, gate: 'main-gate' }), 'not_yet_valid');
    assert.equal(checkClaims(c, { nowSeconds: c.validFrom, gate: 'main-gate' }), undefined);
    assert.equal(checkClaims(c, { nowSeconds: c.validUntil - 1, gate: 'main-gate' }), undefined);
    assert.equal(checkClaims(c, { nowSeconds: c.validUntil, gate: 'main-gate' }), 'expired');
  });
  it('refuses gates the pass does not list, and allows every gate when it lists none', () => {
    assert.equal(checkClaims(c, { nowSeconds: c.validFrom, gate: 'library' }), 'wrong_gate');
    assert.equal(checkClaims(claims(), { nowSeconds: 1_800_000_000, gate: 'library' }), undefined);
  });
  it('refuses the same direction twice in a row, nothing else', () => {
    assert.equal(isPassback(undefined, 'entry'), false);
    assert.equal(isPassback('exit', 'entry'), false);
    assert.equal(isPassback('entry', 'exit'), false);
    assert.equal(isPassback('entry', 'entry'), true);
    assert.equal(isPassback('exit', 'exit'), true);
  });
});
