/**
 * Everything that touches Redis works on a real Redis Cluster, where a multi-key command or script
 * whose keys hash to different slots fails with CROSSSLOT: rate limits, the two-level cache and its
 * pub/sub invalidation across API processes, pass verification's revocation/anti-passback script,
 * and the BullMQ queues (hash-tagged prefix) from the API into a worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startRedisCluster, type RedisCluster } from '../testing/redis-cluster.js';
import { startTestWorkers } from '../testing/worker-process.js';

describe('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let env: TestEnvironment;
  let overrides: Record<string, string>;

  before(async () => {
    cluster = await startRedisCluster();
    env = await createTestEnvironment('redis-cluster');
    overrides = {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      AUTH_RATE_LIMIT_PER_MINUTE: '50',
      PASS_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  });
  after(async () => {
    await env.teardown();
    await cluster.stop();
  });

  it('serves, caches, invalidates across processes, verifies passes and runs jobs', async () => {
    const [a, b] = [await env.start(overrides), await env.start(overrides)];
    // The cluster clients connect in the background; readiness says so until they have, as a kubelet would see.
    for (const api of [a, b]) {
      const ready = await eventually(
        async () => {
          const res = await call(api.url, 'GET', '/ready');
          return res.status === 200 ? res : undefined;
        },
        'readiness on the cluster',
        15_000,
      );
      assert.equal(ready.body.data.checks.redis, 'ok');
    }

    const staffUser = await env.createUser('staff');
    const login = await call(a.url, 'POST', '/auth/login', { body: { email: staffUser.email, password: 'Correct-Horse-Battery-9' } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const staff = login.body.data.token as string;

    const created = await call(a.url, 'POST', '/students', {
      token: staff,
      body: {
        studentId: 'CS2023777777',
        firstName: 'Clusty',
        lastName: 'McShard',
        email: 'clusty@university.edu',
        programme: 'physics',
        yearOfStudy: 1,
      },
    });
    assert.equal(created.status, 201);
    const id = created.body.data.id as string;
    assert.equal((await call(b.url, 'GET', `/students/${id}`, { token: staff })).body.data.firstName, 'Clusty');
    assert.equal(
      (await call(b.url, 'GET', '/students/search?q=shardy', { token: staff })).body.data.results.length,
      0,
      'cached: no match yet',
    );
    await call(a.url, 'PATCH', `/students/${id}`, { token: staff, body: { firstName: 'Shardy' } });
    await eventually(
      async () => (await call(b.url, 'GET', `/students/${id}`, { token: staff })).body.data.firstName === 'Shardy',
      'invalidation reaches the other process',
    );
    await eventually(
      async () => (await call(b.url, 'GET', '/students/search?q=shardy', { token: staff })).body.data.results.length === 1,
      'search invalidated',
    );

    // Pass verification runs its Redis script (revocation + anti-passback) on the cluster.
    const pass = await call(a.url, 'POST', '/passes', {
      token: staff,
      body: {
        studentId: id,
        passType: 'standard',
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validUntil: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
    assert.equal(pass.status, 201, JSON.stringify(pass.body));
    const security = await env.tokenFor('security');
    const verify = (base: string, direction: string) =>
      call(base, 'POST', '/passes/verify', { token: security, body: { code: pass.body.data.code, gate: 'main', direction } });
    const first = await verify(a.url, 'entry');
    assert.equal(first.body.data.valid, true, JSON.stringify(first.body));
    const replay = await verify(b.url, 'entry');
    assert.equal(replay.body.data.valid, false);
    assert.equal(replay.body.data.reason, 'anti_passback');

    // A report job goes through the hash-tagged BullMQ queue into a worker on the cluster.
    const workers = await startTestWorkers(env.env, overrides);
    try {
      const report = await call(a.url, 'POST', '/reports', { token: staff, body: { type: 'daily-summary' } });
      assert.equal(report.status, 202, JSON.stringify(report.body));
      await eventually(
        async () => (await call(a.url, 'GET', `/reports/${report.body.data.id}`, { token: staff })).body.data.status === 'completed',
        'the report job ran',
        30_000,
      );
    } finally {
      await workers.stop();
    }
  });
});
