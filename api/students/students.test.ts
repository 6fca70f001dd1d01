import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

let seq = 0;
function student(overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    studentId: `CS2023${String(100000 + seq)}`,
    firstName: 'John',
    lastName: `Smith${seq}`,
    email: `john.smith${seq}@university.edu`,
    programme: 'Engineering',
    yearOfStudy: 2,
    ...overrides,
  };
}

describe('students', () => {
  let env: TestEnvironment;
  let url: string;
  let admin: string;
  let staff: string;
  let security: string;

  before(async () => {
    env = await createTestEnvironment('students');
    url = (await env.start()).url;
    [admin, staff, security] = await Promise.all([env.tokenFor('admin'), env.tokenFor('staff'), env.tokenFor('security')]);
  });
  after(() => env.teardown());

  it('creates, reads, updates and soft-deletes a student, auditing each change', async () => {
    const created = await call(url, 'POST', '/students', { token: staff, body: student() });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), `/students/${created.body.data.id}`);
    assert.equal(created.body.data.programme, 'engineering');
    assert.equal(created.body.data.status, 'active');
    const id = created.body.data.id as string;

    const read = await call(url, 'GET', `/students/${id}`, { token: security });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, created.body.data);

    const patched = await call(url, 'PATCH', `/students/${id}`, { token: staff, body: { status: 'suspended', yearOfStudy: 3 } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.status, 'suspended');
    assert.equal((await call(url, 'GET', `/students/${id}`, { token: staff })).body.data.yearOfStudy, 3);

    assert.equal((await call(url, 'DELETE', `/students/${id}`, { token: staff })).status, 403);
    assert.equal((await call(url, 'DELETE', `/students/${id}`, { token: admin })).status, 204);
    assert.equal((await call(url, 'GET', `/students/${id}`, { token: staff })).status, 404);
    assert.equal((await call(url, 'DELETE', `/students/${id}`, { token: admin })).status, 404);
    const kept = await env.knex('students').where({ id }).first();
    assert.ok(kept.deleted_at, 'soft delete keeps the row');
    const events = await env.knex('audit_logs').where({ entity_id: id }).orderBy('id').pluck('event_type');
    assert.deepEqual(events, ['student.created', 'student.updated', 'student.deleted']);
  });

  it('refuses duplicates with 409 and writes nothing', async () => {
    const body = student();
    assert.equal((await call(url, 'POST', '/students', { token: staff, body })).status, 201);
    const again = await call(url, 'POST', '/students', { token: staff, body: { ...body, email: 'other@university.edu' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'DUPLICATE_STUDENT');
    assert.equal(again.body.error.details.field, 'studentId');
    const sameEmail = await call(url, 'POST', '/students', { token: staff, body: { ...student(), email: body.email.toUpperCase() } });
    assert.equal(sameEmail.status, 409);
    assert.equal(sameEmail.body.error.details.field, 'email');
    const count = await env.knex('students').whereRaw('lower(email) = lower(?)', [body.email]).count<{ count: number }[]>('* as count');
    assert.equal(Number(count[0]?.count), 1);
  });

  it('validates input: bad ids, unknown fields, wrong types, empty patches', async () => {
    const cases = [
      await call(url, 'GET', '/students/not-a-uuid', { token: staff }),
      await call(url, 'POST', '/students', { token: staff, body: { ...student(), role: 'admin' } }),
      await call(url, 'POST', '/students', { token: staff, body: { ...student(), yearOfStudy: 'two' } }),
      await call(url, 'POST', '/students', { token: staff, body: { ...student(), studentId: 'x' } }),
      await call(url, 'PATCH', '/students/5f0c3b1e-8a53-4c1e-9d53-2b1b1b1b1b1b', { token: staff, body: {} }),
      await call(url, 'GET', '/students?limit=1000', { token: staff }),
      await call(url, 'GET', '/students?cursor=%%%', { token: staff }),
      await call(url, 'GET', '/students/search', { token: staff }),
    ];
    for (const res of cases) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.ok(res.body.error.code);
    }
    assert.equal((await call(url, 'GET', '/students/5f0c3b1e-8a53-4c1e-9d53-2b1b1b1b1b1b', { token: staff })).status, 404);
  });

  it('pages through the list with a cursor, newest first, without gaps or repeats', async () => {
    const programme = `history${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await call(url, 'POST', '/students', { token: staff, body: student({ programme }) })).body.data.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/students?limit=3&programme=${programme}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(url, 'GET', path, { token: admin });
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length <= 3);
      seen.push(...res.body.data.map((s: { id: string }) => s.id));
      cursor = res.body.pagination.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
  });

  it('searches by name prefix, student id prefix, programme and status, best match first', async () => {
    const alice = (
      await call(url, 'POST', '/students', {
        token: staff,
        body: student({ firstName: 'Alicia', lastName: 'Quarrington', programme: 'medicine', studentId: 'MD2024000777' }),
      })
    ).body.data;
    const medina = (
      await call(url, 'POST', '/students', { token: staff, body: student({ firstName: 'Bob', lastName: 'Medina', programme: 'law' }) })
    ).body.data;
    const byName = await call(url, 'GET', '/students/search?q=medi&limit=5', { token: security });
    assert.equal(byName.status, 200);
    assert.deepEqual(
      byName.body.data.results.map((s: { id: string }) => s.id),
      [medina.id, alice.id],
      'a name match outranks a programme match',
    );
    const byId = await call(url, 'GET', '/students/search?q=MD2024', { token: staff });
    assert.deepEqual(
      byId.body.data.results.map((s: { id: string }) => s.id),
      [alice.id],
    );
    const twoTerms = await call(url, 'GET', '/students/search?q=quarr%20medicine', { token: staff });
    assert.deepEqual(
      twoTerms.body.data.results.map((s: { id: string }) => s.id),
      [alice.id],
    );
    for (const term of ['john', 'CS2023', 'engineering', 'active']) {
      const res = await call(url, 'GET', `/students/search?q=${term}&limit=20`, { token: staff });
      assert.ok(res.body.data.results.length > 0, `term ${term} must hit`);
    }
    const injection = await call(url, 'GET', `/students/search?q=${encodeURIComponent("a:* | !b & (c')")}`, { token: staff });
    assert.equal(injection.status, 200);
    const nothing = await call(url, 'GET', '/students/search?q=%21%21%21', { token: staff });
    assert.deepEqual(nothing.body.data.results, []);
  });

  it('lets a student read only their own record', async () => {
    const mine = (await call(url, 'POST', '/students', { token: staff, body: student() })).body.data;
    const other = (await call(url, 'POST', '/students', { token: staff, body: student() })).body.data;
    const token = await env.tokenFor('student', { studentRef: mine.id });
    assert.equal((await call(url, 'GET', `/students/${mine.id}`, { token })).status, 200);
    assert.equal((await call(url, 'GET', `/students/${other.id}`, { token })).status, 403);
    assert.equal((await call(url, 'GET', '/students', { token })).status, 403);
    assert.equal((await call(url, 'GET', '/students/search?q=john', { token })).status, 403);
  });

  it('invalidates cached reads and searches in every API process after a write', async () => {
    const second = await env.start();
    const created = (await call(url, 'POST', '/students', { token: staff, body: student({ firstName: 'Zebedee' }) })).body.data;
    // Warm both processes' caches.
    for (const base of [url, second.url]) {
      assert.equal((await call(base, 'GET', `/students/${created.id}`, { token: staff })).body.data.firstName, 'Zebedee');
      assert.equal((await call(base, 'GET', '/students/search?q=zebedee', { token: staff })).body.data.results.length, 1);
    }
    await call(url, 'PATCH', `/students/${created.id}`, { token: staff, body: { firstName: 'Zachary' } });
    // Pub/sub delivery is asynchronous; poll briefly rather than sleep a fixed time.
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'Zachary'; i++) {
      seen = (await call(second.url, 'GET', `/students/${created.id}`, { token: staff })).body.data.firstName;
      if (seen !== 'Zachary') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(seen, 'Zachary');
    assert.equal((await call(second.url, 'GET', '/students/search?q=zebedee', { token: staff })).body.data.results.length, 0);
    assert.equal((await call(second.url, 'GET', '/students/search?q=zachary', { token: staff })).body.data.results.length, 1);
  });

  it('serves reads when a read replica is down, and reads its own writes', async () => {
    // Replica 0 is the primary itself (a real server), replica 1 refuses connections.
    const withReplicas = await env.start({ DATABASE_REPLICA_URLS: `${env.database.url},postgres://postgres@127.0.0.1:1/none` });
    for (let i = 0; i < 6; i++) {
      const res = await call(withReplicas.url, 'GET', '/students?limit=2', { token: staff });
      assert.equal(res.status, 200);
    }
    const created = await call(withReplicas.url, 'POST', '/students', { token: staff, body: student() });
    const readBack = await call(withReplicas.url, 'GET', `/students/${created.body.data.id}`, { token: staff });
    assert.equal(readBack.status, 200);
    const states = withReplicas.deps.db.replicaStates();
    assert.equal(states[1]?.healthy, false, 'the dead replica is out of rotation');
  });
});
