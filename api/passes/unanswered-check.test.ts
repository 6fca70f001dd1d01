/**
 * A gate check whose Redis reply comes after its deadline: the script ran and recorded the
 * passage, but the verifier no longer knows. Whatever the gate is then told, Redis must not keep a
 * passage nobody was let through (ADR 0015). The fault is real: a proxy in front of the real Redis
 * forwards the check and holds its reply back past ioredis' command timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { ReplyDelayingProxy } from '../../testing/reply-delaying-proxy.js';
import { TEST_REDIS_URL } from '../../testing/redis.js';
import { createKnex } from '../../core/db.js';
import { createLogger } from '../../core/logger.js';
import { createRedis, REDIS_DEADLINES, type RedisClient } from '../../core/redis.js';
import { passKeys, RevocationRegistry } from './revocations.js';
import { PassVerifier } from './verifier.js';

describe('a gate check whose reply missed its deadline', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let proxy: ReplyDelayingProxy;
  let staff: string;
  let security: string;
  let studentId: string;

  before(async () => {
    env = await createTestEnvironment('unanswered-check');
    api = await env.start();
    const redisUrl = new URL(TEST_REDIS_URL);
    proxy = await ReplyDelayingProxy.start({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    staff = await env.tokenFor('staff');
    security = await env.tokenFor('security');
    const [row] = await env
      .knex('students')
      .insert({
        student_id: 'CS2026777',
        first_name: 'Grace',
        last_name: 'Hopper',
        email: 'grace@university.edu',
        programme: 'computer science',
        year_of_study: 3,
        status: 'active',
      })
      .returning('id');
    studentId = (row as { id: string }).id;
  });
  after(async () => {
    await proxy.stop();
    await env.teardown();
  });

  async function issuePass(): Promise<{ id: string; code: string }> {
    const validUntil = new Date(Date.now() + 24 * 3_600_000).toISOString();
    const res = await call(api.url, 'POST', '/passes', { token: staff, body: { studentId, validUntil } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; code: string };
  }

  const gateOfApi = (code: string, direction: 'entry' | 'exit') =>
    call(api.url, 'POST', '/passes/verify', { token: security, body: { code, gate: 'main-gate', direction } });

  /** A second API-like verifier whose Redis connection runs through the proxy, with the API's deadline. */
  async function verifierBehindProxy(knex: Knex): Promise<{ verifier: PassVerifier; redis: RedisClient; close: () => void }> {
    const logger = createLogger('test', 'silent');
    const redis = createRedis({ url: proxy.url, failFast: true, commandTimeoutMs: REDIS_DEADLINES.commandMs });
    redis.on('error', () => undefined);
    const revocations = new RevocationRegistry({
      knex: env.knex,
      redis: api.deps.redis,
      subscriber: api.deps.redis,
      keyPrefix: env.prefix,
      syncIntervalMs: 3_600_000,
      logger,
    });
    await revocations.sync();
    const verifier = new PassVerifier({
      signer: api.deps.passes.signer,
      revocations,
      redis,
      knex,
      accessLogs: api.deps.passes.accessLogs,
      keyPrefix: env.prefix,
      antiPassbackSeconds: 12 * 3600,
      logger,
    });
    // One check before the fault, so the verifier holds the anti-passback epoch (reading it needs replies).
    const warmUp = await issuePass();
    const first = await verifier.verify({ code: warmUp.code, gate: 'main-gate', direction: 'entry', verifiedBy: null, requestId: null });
    assert.equal(first.valid, true);
    return {
      verifier,
      redis,
      close: () => {
        verifier.close();
        revocations.close();
        redis.disconnect();
      },
    };
  }

  /** A pass that went in and out through the API: Redis remembers the exit. */
  async function passInAndOut(): Promise<{ id: string; code: string }> {
    const pass = await issuePass();
    assert.equal((await gateOfApi(pass.code, 'entry')).body.data.valid, true);
    assert.equal((await gateOfApi(pass.code, 'exit')).body.data.valid, true);
    return pass;
  }

  /** A Postgres connection that can no longer be used: the verifier's fallback cannot decide. */
  async function postgresGone(): Promise<Knex> {
    const gone = createKnex(env.database.url, 1, 1_000);
    await gone.destroy();
    return gone;
  }

  const enterBehind = (behind: { verifier: PassVerifier }, code: string) =>
    behind.verifier.verify({ code, gate: 'main-gate', direction: 'entry', verifiedBy: null, requestId: null });

  const directionInRedis = async (passId: string) => {
    const stored = await api.deps.redis.get(passKeys(env.prefix, passId).lastDirection);
    return stored?.split('|')[1];
  };

  it('takes its passage back when the gate was answered with an error (Postgres unreadable too)', async () => {
    const pass = await passInAndOut();
    // This verifier's Postgres is gone: its fallback cannot decide, so the gate gets an error.
    const behind = await verifierBehindProxy(await postgresGone());
    try {
      proxy.holdReplies();
      await assert.rejects(enterBehind(behind, pass.code));
      // The script ran: Redis held the entry nobody was let in on, until the undo put the exit back.
      proxy.releaseReplies();
      await eventually(async () => (await directionInRedis(pass.id)) === 'exit', 'the unanswered entry is taken back from Redis');
      // The student, refused with an error, tries again at a gate of the API and is let in.
      const retry = await gateOfApi(pass.code, 'entry');
      assert.deepEqual([retry.body.data.valid, retry.body.data.reason], [true, null]);
    } finally {
      proxy.releaseReplies();
      behind.close();
    }
  });

  it('keeps its passage when Postgres answered "valid" and logged it', async () => {
    const pass = await passInAndOut();
    const knex = createKnex(env.database.url, 2, 5_000);
    const behind = await verifierBehindProxy(knex);
    try {
      proxy.holdReplies();
      const entry = await behind.verifier.verify({
        code: pass.code,
        gate: 'main-gate',
        direction: 'entry',
        verifiedBy: null,
        requestId: null,
      });
      assert.deepEqual([entry.valid, entry.degraded], [true, true]);
      proxy.releaseReplies();
      // The entry is in the access log and in Redis: presenting it again for entry is a passback.
      assert.equal((await gateOfApi(pass.code, 'entry')).body.data.reason, 'anti_passback');
      assert.equal(await directionInRedis(pass.id), 'entry');
    } finally {
      proxy.releaseReplies();
      behind.close();
      await knex.destroy();
    }
  });

  it('never undoes a later passage recorded by another process', async () => {
    const pass = await passInAndOut();
    const behind = await verifierBehindProxy(await postgresGone());
    try {
      proxy.holdReplies();
      await assert.rejects(enterBehind(behind, pass.code));
      // The undo ran in Redis, but its confirmation is held back too: it stays pending for a retry.
      await eventually(async () => (await directionInRedis(pass.id)) === 'exit', 'the unanswered entry is taken back');
      await eventually(async () => behind.verifier.unconfirmedUndos === 1, 'the undo waits for a retry');
      // Meanwhile the API lets the pass in through its own connection: a later passage.
      assert.equal((await gateOfApi(pass.code, 'entry')).body.data.valid, true);
      proxy.releaseReplies();
      await eventually(async () => behind.verifier.unconfirmedUndos === 0, 'the retried undo is confirmed');
      // The retry matched nothing (the value is the API's now): the later entry stands.
      assert.equal(await directionInRedis(pass.id), 'entry');
      assert.equal((await gateOfApi(pass.code, 'entry')).body.data.reason, 'anti_passback');
    } finally {
      proxy.releaseReplies();
      behind.close();
    }
  });
});
