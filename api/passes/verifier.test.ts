import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { tempSpillDir } from '../../testing/spill.js';
import { after, describe, it } from 'node:test';
import { createKnex } from '../../core/db.js';
import { createLogger } from '../../core/logger.js';
import { createRedis } from '../../core/redis.js';
import { AccessLogWriter } from '../access-logs/writer.js';
import { RevocationRegistry } from './revocations.js';
import { PassSigner } from '../../domain/passes/signing.js';
import { PassVerifier } from './verifier.js';

/**
 * A verifier wired to a Postgres and a Redis that refuse every connection: whatever it answers, it
 * answered without reading either. (Access logs only buffer here; they are never flushed.)
 */
describe('verdicts that need no database', () => {
  const logger = createLogger('test', 'silent');
  const knex = createKnex('postgres://postgres@127.0.0.1:1/none', 1, 1_000);
  const redis = createRedis({ url: 'redis://127.0.0.1:1', failFast: true });
  const subscriber = createRedis({ url: 'redis://127.0.0.1:1', failFast: true });
  for (const client of [redis, subscriber]) client.on('error', () => undefined);
  const signer = new PassSigner(generateKeyPairSync('ed25519').privateKey, 'k1');
  const accessLogs = new AccessLogWriter({ knex, logger, flushIntervalMs: 3_600_000, batchSize: 1_000, spillDir: tempSpillDir() });
  const revocations = new RevocationRegistry({ knex, redis, subscriber, keyPrefix: 't:', syncIntervalMs: 3_600_000, logger });
  const verifier = new PassVerifier({ signer, revocations, redis, knex, accessLogs, keyPrefix: 't:', antiPassbackSeconds: 60, logger });
  after(async () => {
    redis.disconnect();
    subscriber.disconnect();
    await knex.destroy();
  });

  it('refuses forged, tampered, malformed, expired, early and wrong-gate codes with neither Postgres nor Redis reachable', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      passId: randomUUID(),
      studentId: randomUUID(),
      passType: 'standard' as const,
      validFrom: now - 60,
      validUntil: now + 3600,
      gates: ['main-gate'],
      issuedAt: now,
    };
    const good = signer.sign(claims);
    const [kid, body, sig] = good.split('.') as [string, string, string];
    const tampered = `${kid}.${Buffer.from(Buffer.from(body, 'base64url').toString().replace('main-gate', 'all-gates')).toString('base64url')}.${sig}`;
    const cases: [string, string, string][] = [
      [new PassSigner(generateKeyPairSync('ed25519').privateKey, 'k1').sign(claims), 'main-gate', 'forged'],
      [tampered, 'main-gate', 'forged'],
      ['QR-1234', 'main-gate', 'malformed'],
      [signer.sign({ ...claims, validFrom: now - 7200, validUntil: now - 3600 }), 'main-gate', 'expired'],
      [signer.sign({ ...claims, validFrom: now + 3600, validUntil: now + 7200 }), 'main-gate', 'not_yet_valid'],
      [good, 'library', 'wrong_gate'],
    ];
    for (const [code, gate, reason] of cases) {
      const result = await verifier.verify({ code, gate, direction: 'entry', verifiedBy: null, requestId: null });
      assert.equal(result.valid, false);
      assert.equal(result.reason, reason);
    }
    assert.equal(accessLogs.buffered, cases.length);
  });

  it('never calls a well-signed code valid when neither store can say whether it was revoked', async () => {
    const now = Math.floor(Date.now() / 1000);
    const code = signer.sign({
      passId: randomUUID(),
      studentId: randomUUID(),
      passType: 'standard',
      validFrom: now - 60,
      validUntil: now + 3600,
      issuedAt: now,
    });
    await assert.rejects(verifier.verify({ code, gate: 'main-gate', direction: 'entry', verifiedBy: null, requestId: null }));
  });
});
