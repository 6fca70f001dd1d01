/**
 * Redis hung (SIGSTOP on a redis-server of this test's own): the breaker opens, readiness says
 * so at once, routes that do not need Redis keep answering (the rate limiter and the cache fall
 * back instead of waiting), gate verification falls back to Postgres, revocation answers; and
 * when Redis resumes, readiness comes back and verification uses Redis again, whose memory from
 * before the hang no longer overrules the access log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startOwnRedis, type OwnRedis } from '../testing/redis-server.js';

const HOUR = 3_600_000;

describe('a hung Redis', () => {
  let env: TestEnvironment;
  let redis: OwnRedis;
  let api: TestApi;
  let staff: string;
  let security: string;
  let studentId: string;

  before(async () => {
    redis = await startOwnRedis();
    env = await createTestEnvironment('redis-hang');
    api = await env.start({ REDIS_URL: redis.url });
    staff = await env.tokenFor('staff');
    security = await env.tokenFor('security');
    studentId = await env.insertStudent({ status: 'active' });
  });
  after(async () => {
    redis?.resume();
    await env?.teardown();
    await redis?.stop();
  });

  async function issue(): Promise<{ id: string; code: string }> {
    const res = await call(api.url, 'POST', '/passes', {
      token: staff,
      body: { studentId, validUntil: new Date(Date.now() + 24 * HOUR).toISOString() },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; code: string };
  }
  const verify = (code: string, direction: 'entry' | 'exit') =>
    call(api.url, 'POST', '/passes/verify', { token: security, body: { code, gate: 'main-gate', direction } });

  it('is treated as down: readiness 503, Postgres-only routes answer, verification and revocation fall back', async () => {
    const pass = await issue();
    const revoked = await issue();
    assert.equal((await verify(pass.code, 'entry')).body.data.degraded, false);
    assert.equal((await call(api.url, 'GET', '/ready')).status, 200);

    redis.pause();
    try {
      // The breaker opens on the probe alone, without any traffic.
      await eventually(async () => (await call(api.url, 'GET', '/ready')).status === 503, 'readiness to report Redis down', 10_000);
      const ready = await call(api.url, 'GET', '/ready');
      assert.equal(ready.body.error.details.redis, 'down');
      assert.equal(ready.body.error.details.database, 'ok');

      // Rate limit (in-memory insurance), cache (falls through to Postgres) and the handler answer.
      const students = await call(api.url, 'GET', '/students?limit=5', { token: staff });
      assert.equal(students.status, 200);
      const search = await call(api.url, 'GET', '/students/search?q=grace&limit=5', { token: staff });
      assert.equal(search.status, 200);

      // Anti-passback decided by Postgres: the exit is valid, a second exit is a replay.
      const exit = await verify(pass.code, 'exit');
      assert.equal(exit.status, 200);
      assert.deepEqual([exit.body.data.valid, exit.body.data.degraded], [true, true]);
      const replay = await verify(pass.code, 'exit');
      assert.deepEqual([replay.body.data.valid, replay.body.data.reason], [false, 'anti_passback']);

      const revoke = await call(api.url, 'POST', `/passes/${revoked.id}/revoke`, { token: staff, body: { reason: 'lost card' } });
      assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
      const refused = await verify(revoked.code, 'entry');
      assert.deepEqual([refused.body.data.valid, refused.body.data.reason], [false, 'revoked']);
    } finally {
      redis.resume();
    }

    await eventually(async () => (await call(api.url, 'GET', '/ready')).status === 200, 'readiness to return with Redis', 10_000);
    // Back on Redis, whose memory ('entry', from before the hang) is older than the access log
    // ('exit', decided without it): the log wins, the entry is valid, a replay of it is not.
    const entry = await verify(pass.code, 'entry');
    assert.deepEqual([entry.body.data.valid, entry.body.data.degraded], [true, false]);
    const again = await verify(pass.code, 'entry');
    assert.deepEqual([again.body.data.valid, again.body.data.reason], [false, 'anti_passback']);
    await api.deps.passes.accessLogs.flush();
    const rows = await env.knex('access_logs').where({ pass_id: pass.id, outcome: 'valid' }).orderBy('occurred_at');
    assert.deepEqual(
      rows.map((r: { direction: string }) => r.direction),
      ['entry', 'exit', 'entry'],
    );
  });
});
