/**
 * Attacks on what should already be over: an access token used after logout, after its refresh
 * token was replayed, or after its owner was suspended, deleted or disabled (each used to work for
 * up to the token's 15 minutes); a suspended or deleted student's pass at a gate (used to verify
 * `valid: true`); a deleted student logging in, applying and uploading, and staff lists still
 * showing their passes, applications and access logs. Two API processes share the database and
 * Redis: the revocation made through one must hold at the other at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { TEST_PASSWORD, call, type TestApi } from '../../testing/api.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

const HOUR = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('attack: access that should have ended', () => {
  const world = useTestEnvironment('atk-revoked', { tokens: ['staff', 'admin', 'security'] });
  let a: TestApi;
  let b: TestApi;
  before(async () => {
    a = world.api;
    b = await world.env.start();
  });

  /** A student record, its account, a pass used once at the gate, and an application. */
  async function enrolledStudent() {
    const n = randomUUID().slice(0, 8);
    const created = await call(a.url, 'POST', '/students', {
      token: world.token('staff'),
      body: {
        studentId: `CS2026${parseInt(n, 16) % 1_000_000}`,
        firstName: 'Eve',
        lastName: `N${n}`,
        email: `eve-${n}@university.edu`,
        programme: 'physics',
        yearOfStudy: 2,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const studentId = created.body.data.id as string;
    const account = await world.env.createUser('student', { studentRef: studentId });
    const session = await world.env.login(account.email);
    const pass = await call(a.url, 'POST', '/passes', { token: world.token('staff'), body: { studentId, validUntil: iso(24 * HOUR) } });
    assert.equal(pass.status, 201, JSON.stringify(pass.body));
    const entry = await call(b.url, 'POST', '/passes/verify', {
      token: world.token('security'),
      body: { code: pass.body.data.code, gate: 'main-gate', direction: 'entry' },
    });
    assert.equal(entry.body.data.valid, true);
    const application = await call(a.url, 'POST', '/applications', {
      token: session.token,
      body: { passType: 'temporary', reason: 'library access', validFrom: iso(HOUR), validUntil: iso(2 * HOUR) },
    });
    assert.equal(application.status, 201, JSON.stringify(application.body));
    return {
      studentId,
      account,
      session,
      pass: pass.body.data as { id: string; code: string },
      applicationId: application.body.data.id as string,
    };
  }

  const me = (api: TestApi, token: string) => call(api.url, 'GET', '/auth/me', { token });

  it('stops an access token at once after logout, on every API process', async () => {
    const user = await world.env.createUser('staff');
    const { token } = await world.env.login(user.email);
    assert.equal((await me(b, token)).status, 200);
    assert.equal((await call(a.url, 'POST', '/auth/logout', { token })).status, 204);
    for (const api of [a, b]) {
      const res = await me(api, token);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'SESSION_REVOKED');
    }
  });

  it('stops every access token of a session whose spent refresh token is replayed', async () => {
    const user = await world.env.createUser('student');
    const first = await world.env.login(user.email);
    const rotated = await call(a.url, 'POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(rotated.status, 200);
    assert.equal((await me(b, rotated.body.data.token)).status, 200);
    const replay = await call(a.url, 'POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(replay.body.error.code, 'REFRESH_TOKEN_REUSED');
    for (const token of [first.token, rotated.body.data.token]) {
      for (const api of [a, b]) assert.equal((await me(api, token)).status, 401);
    }
  });

  it('answers 401 on /auth/me for a disabled account', async () => {
    const user = await world.env.createUser('staff');
    const { token } = await world.env.login(user.email);
    await world.env.knex('users').where({ id: user.id }).update({ disabled_at: new Date() });
    const res = await me(a, token);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'ACCOUNT_DISABLED');
  });

  it('suspending a student refuses their pass at the gate and ends their sessions, at once', async () => {
    const s = await enrolledStudent();
    const patched = await call(a.url, 'PATCH', `/students/${s.studentId}`, { token: world.token('staff'), body: { status: 'suspended' } });
    assert.equal(patched.status, 200);
    const gate = await call(b.url, 'POST', '/passes/verify', {
      token: world.token('security'),
      body: { code: s.pass.code, gate: 'main-gate', direction: 'exit' },
    });
    assert.equal(gate.status, 200);
    assert.equal(gate.body.data.valid, false);
    assert.equal(gate.body.data.reason, 'revoked');
    assert.equal((await me(b, s.session.token)).status, 401);
    assert.equal((await call(b.url, 'POST', '/auth/login', { body: { email: s.account.email, password: TEST_PASSWORD } })).status, 401);
    assert.equal((await call(b.url, 'POST', '/auth/refresh', { body: { refreshToken: s.session.refreshToken } })).status, 401);
    const [audit] = await world.env.knex('audit_logs').where({ event_type: 'student.updated', entity_id: s.studentId });
    assert.deepEqual([audit.details.passesRevoked, audit.details.sessionsRevoked], [1, 1]);

    // Reinstated: the account may log in again; the revoked pass stays revoked.
    assert.equal(
      (await call(a.url, 'PATCH', `/students/${s.studentId}`, { token: world.token('staff'), body: { status: 'active' } })).status,
      200,
    );
    assert.equal((await call(b.url, 'POST', '/auth/login', { body: { email: s.account.email, password: TEST_PASSWORD } })).status, 200);
    const again = await call(a.url, 'POST', '/passes/verify', {
      token: world.token('security'),
      body: { code: s.pass.code, gate: 'main-gate', direction: 'exit' },
    });
    assert.equal(again.body.data.valid, false);
  });

  it('a soft-deleted student cannot enter, log in, apply or upload, and drops out of staff lists', async () => {
    const s = await enrolledStudent();
    assert.equal((await call(a.url, 'DELETE', `/students/${s.studentId}`, { token: world.token('admin') })).status, 204);

    const gate = await call(b.url, 'POST', '/passes/verify', {
      token: world.token('security'),
      body: { code: s.pass.code, gate: 'main-gate', direction: 'exit' },
    });
    assert.equal(gate.body.data.valid, false);
    assert.equal((await call(b.url, 'POST', '/auth/login', { body: { email: s.account.email, password: TEST_PASSWORD } })).status, 401);
    const apply = await call(b.url, 'POST', '/applications', {
      token: s.session.token,
      body: { passType: 'temporary', reason: 'again', validFrom: iso(HOUR), validUntil: iso(2 * HOUR) },
    });
    assert.equal(apply.status, 401);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')], { type: 'application/pdf' }), 'a.pdf');
    const upload = await fetch(`${b.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${s.session.token}` }, body: form });
    assert.equal(upload.status, 401);

    for (const token of [world.token('staff'), world.token('admin')]) {
      const passes = await call(b.url, 'GET', `/passes?studentId=${s.studentId}`, { token });
      assert.deepEqual(passes.body.data, []);
      assert.equal((await call(b.url, 'GET', `/passes/${s.pass.id}`, { token })).status, 404);
      const applications = await call(b.url, 'GET', '/applications?limit=100', { token });
      assert.ok(!applications.body.data.some((x: { id: string }) => x.id === s.applicationId));
      const queue = await call(b.url, 'GET', '/applications/queue?limit=100', { token });
      assert.ok(!queue.body.data.some((x: { id: string }) => x.id === s.applicationId));
      assert.equal((await call(b.url, 'GET', `/applications/${s.applicationId}`, { token })).status, 404);
      const logs = await call(b.url, 'GET', `/access-logs?studentId=${s.studentId}`, { token });
      assert.deepEqual(logs.body.data, []);
    }
    // Kept for the audit trail, not destroyed.
    assert.ok(await world.env.knex('passes').where({ id: s.pass.id, status: 'revoked' }).first());
  });
});
