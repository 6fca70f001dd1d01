/**
 * Production refusals: a weak JWT_SECRET, a missing or development signing key, TRUST_PROXY unset,
 * and accounts with the published demo password (found in a real Postgres, seeded as `npm run
 * seed` seeds it) stop the API with a message naming each; the seed refuses to create them.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../core/config.js';
import { seedStudents, seedUsers } from '../scripts/seed.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../testing/redis.js';
import { hashPassword } from './auth/passwords.js';
import { configurationRefusals, demoPasswordAccounts, weakJwtSecret } from './production-checks.js';
import { startApi } from './run.js';

const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function productionEnv(url: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    PASS_SIGNING_KEY: signingKey,
    PASS_SIGNING_KEY_ID: 'ed25519-test',
    TRUST_PROXY: 'false',
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
    ...overrides,
  };
}

describe('JWT_SECRET strength', () => {
  it('accepts random key material in hex or base64, every time', () => {
    for (let i = 0; i < 1000; i++) {
      for (const secret of [randomBytes(32).toString('hex'), randomBytes(32).toString('base64'), randomBytes(48).toString('base64url')]) {
        assert.equal(weakJwtSecret(secret), undefined, secret);
      }
    }
  });

  it('refuses short, patterned and non-random secrets', () => {
    for (const secret of [
      'change-me-please-change-me-please',
      'a'.repeat(64),
      'ab'.repeat(40),
      '0123456789abcdef'.repeat(4),
      'my super secret jwt key for production use only!!',
      randomBytes(16).toString('hex'),
      'passwordpasswordpasswordpasswordpasswordpassword',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    ]) {
      assert.ok(weakJwtSecret(secret), `refused: ${secret}`);
    }
  });
});

describe('configuration refusals', () => {
  it('name every variable production refuses, and what to do', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x', JWT_SECRET: 'x'.repeat(40) };
    const refusals = configurationRefusals(loadConfig(env), env);
    assert.equal(refusals.length, 5);
    for (const [variable, advice] of [
      ['JWT_SECRET', /openssl rand/],
      ['PASS_SIGNING_KEY ', /Ed25519/],
      ['PASS_SIGNING_KEY_ID', /development key id/],
      ['TRUST_PROXY', /X-Forwarded-For/],
      ['METRICS_TOKEN', /bearer token/],
    ] as const) {
      const refusal = refusals.find((r) => r.startsWith(variable));
      assert.ok(refusal, `${variable} is refused`);
      assert.match(refusal, advice);
    }
  });

  it('refuse nothing for a complete production configuration, or outside production', () => {
    const env = productionEnv('postgres://x@127.0.0.1/x');
    assert.deepEqual(configurationRefusals(loadConfig(env), env), []);
    const development = { DATABASE_URL: 'postgres://x@127.0.0.1/x', JWT_SECRET: 'x'.repeat(40) };
    assert.deepEqual(configurationRefusals(loadConfig(development), development), []);
  });
});

describe('accounts with the demo password', () => {
  let database: TestDatabase;
  let knex: Knex;
  const redis = testRedisPrefix('production-checks');
  before(async () => {
    database = await createTestDatabase('production-checks');
    knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } });
  });
  after(async () => {
    await knex.destroy();
    await redis.cleanup();
    await database.drop();
  });

  it('the seed refuses to create them in production', async () => {
    await assert.rejects(
      seedUsers(knex, 3, () => undefined, { NODE_ENV: 'production' }),
      /NODE_ENV=production/,
    );
    assert.equal(Number((await knex('users').count<{ count: string }[]>('* as count'))[0]?.count), 0);
  });

  it('are found when seeded, and production refuses to start with them', async () => {
    await knex('users').insert({
      email: 'someone@university.edu',
      password_hash: await hashPassword('a-real-password-1'),
      role: 'staff',
      display_name: 'Real',
    });
    assert.deepEqual(await demoPasswordAccounts(knex), []);
    await seedStudents(knex, 5);
    await seedUsers(knex, 3);
    const found = await demoPasswordAccounts(knex);
    assert.equal(found.length, 7, 'three load-test accounts and four demo accounts');
    assert.ok(found.includes('admin@university.edu'));
    assert.ok(!found.includes('someone@university.edu'));

    await assert.rejects(startApi(productionEnv(database.url, { REDIS_KEY_PREFIX: redis.prefix })), (err: Error) => {
      assert.equal(err.name, 'ConfigError');
      assert.match(err.message, /7 enabled account\(s\) have the published demo password \(admin@university\.edu/);
      assert.match(err.message, /disable them/);
      return true;
    });
  });

  it('starts once they are disabled', async () => {
    await knex('users').update({ disabled_at: knex.fn.now() }).whereNot({ email: 'someone@university.edu' });
    assert.deepEqual(await demoPasswordAccounts(knex), []);
    const api = await startApi(
      productionEnv(database.url, { REDIS_KEY_PREFIX: redis.prefix, PORT: '0', HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '1000' }),
    );
    try {
      assert.equal((await fetch(`${api.url}/health`)).status, 200);
    } finally {
      await api.stop();
    }
  });
});
