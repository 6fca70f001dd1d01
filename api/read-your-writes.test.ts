import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../testing/api.js';

const HOUR = 3_600_000;

describe('read-your-writes markers', () => {
  let env: TestEnvironment;
  let a: TestApi;
  let b: TestApi;

  before(async () => {
    env = await createTestEnvironment('read-your-writes');
    // The replica is the primary itself: what is tested is who gets marked, not replication.
    a = await env.start({ DATABASE_REPLICA_URLS: env.database.url });
    b = await env.start({ DATABASE_REPLICA_URLS: env.database.url });
  });
  after(() => env.teardown());

  it('sends a writer to the primary on every pod, but not a gate after a verification', async () => {
    const staff = await env.createUser('staff');
    const staffToken = (await env.login(staff.email)).token;
    const guard = await env.createUser('security');
    const guardToken = (await env.login(guard.email)).token;
    const studentId = await env.insertStudent({ status: 'active' });

    const refused = await call(a.url, 'POST', '/passes', { token: staffToken, body: { studentId, validUntil: 'not a date' } });
    assert.equal(refused.status, 400);
    assert.equal(await b.deps.readYourWrites.mustReadPrimary(staff.id), false, 'a refused write marks nobody');

    const issued = await call(a.url, 'POST', '/passes', {
      token: staffToken,
      body: { studentId, validUntil: new Date(Date.now() + HOUR).toISOString() },
    });
    assert.equal(issued.status, 201);
    // Pod b has no local note of it: the marker it reads is the one pod a wrote to Redis.
    assert.equal(await b.deps.readYourWrites.mustReadPrimary(staff.id), true, 'the issuer reads from the primary');

    const verified = await call(a.url, 'POST', '/passes/verify', {
      token: guardToken,
      body: { code: issued.body.data.code, gate: 'main-gate', direction: 'entry' },
    });
    assert.equal(verified.status, 200);
    assert.equal(verified.body.data.valid, true);
    assert.equal(await a.deps.readYourWrites.mustReadPrimary(guard.id), false, 'no local marker for the gate');
    assert.equal(await b.deps.readYourWrites.mustReadPrimary(guard.id), false, 'no Redis marker for the gate');
  });
});
