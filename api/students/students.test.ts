import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../../testing/api.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

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
  const world = useTestEnvironment('students', { tokens: ['admin', 'staff', 'security'] });

  it('creates, reads, updates and soft-deletes a student, auditing each change', async () => {
    const created = await call(world.url, 'POST', '/students', { token: world.token('staff'), body: student() });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), `/students/${created.body.data.id}`);
    assert.equal(created.body.data.programme, 'engineering');
    assert.equal(created.body.data.status, 'active');
    const id = created.body.data.id as string;

    const read = await call(world.url, 'GET', `/students/${id}`, { token: world.token('security') });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, created.body.data);

    const patched = await call(world.url, 'PATCH', `/students/${id}`, {
      token: world.token('staff'),
      body: { status: 'suspended', yearOfStudy: 3 },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.status, 'suspended');
    assert.equal((await call(world.url, 'GET', `/students/${id}`, { token: world.token('staff') })).body.data.yearOfStudy, 3);

    assert.equal((await call(world.url, 'DELETE', `/students/${id}`, { token: world.token('staff') })).status, 403);
    assert.equal((await call(world.url, 'DELETE', `/students/${id}`, { token: world.token('admin') })).status, 204);
    assert.equal((await call(world.url, 'GET', `/students/${id}`, { token: world.token('staff') })).status, 404);
    assert.equal((await call(world.url, 'DELETE', `/students/${id}`, { token: world.token('admin') })).status, 404);
    const kept = await world.env.knex('students').where({ id }).first();
    assert.ok(kept.deleted_at, 'soft delete keeps the row');
    const events = await world.env.knex('audit_logs').where({ entity_id: id }).orderBy('id').pluck('event_type');
    assert.deepEqual(events, ['student.created', 'student.updated', 'student.deleted']);
  });

  it('refuses duplicates with 409 and writes nothing', async () => {
    const body = student();
    assert.equal((await call(world.url, 'POST', '/students', { token: world.token('staff'), body })).status, 201);
    const again = await call(world.url, 'POST', '/students', {
      token: world.token('staff'),
      body: { ...body, email: 'other@university.edu' },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'DUPLICATE_STUDENT');
    assert.equal(again.body.error.details.field, 'studentId');
    const sameEmail = await call(world.url, 'POST', '/students', {
      token: world.token('staff'),
      body: { ...student(), email: body.email.toUpperCase() },
    });
    assert.equal(sameEmail.status, 409);
    assert.equal(sameEmail.body.error.details.field, 'email');
    const count = await world.env
      .knex('students')
      .whereRaw('lower(email) = lower(?)', [body.email])
      .count<{ count: number }[]>('* as count');
    assert.equal(Number(count[0]?.count), 1);
  });

  it('validates input: bad ids, unknown fields, wrong types, empty patches', async () => {
    const cases = [
      await call(world.url, 'GET', '/students/not-a-uuid', { token: world.token('staff') }),
      await call(world.url, 'POST', '/students', { token: world.token('staff'), body: { ...student(), role: 'admin' } }),
      await call(world.url, 'POST', '/students', { token: world.token('staff'), body: { ...student(), yearOfStudy: 'two' } }),
      await call(world.url, 'POST', '/students', { token: world.token('staff'), body: { ...student(), studentId: 'x' } }),
      await call(world.url, 'PATCH', '/students/5f0c3b1e-8a53-4c1e-9d53-2b1b1b1b1b1b', { token: world.token('staff'), body: {} }),
      await call(world.url, 'GET', '/students?limit=1000', { token: world.token('staff') }),
      await call(world.url, 'GET', '/students?cursor=%%%', { token: world.token('staff') }),
      await call(world.url, 'GET', '/students/search', { token: world.token('staff') }),
    ];
    for (const res of cases) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.ok(res.body.error.code);
    }
    assert.equal(
      (await call(world.url, 'GET', '/students/5f0c3b1e-8a53-4c1e-9d53-2b1b1b1b1b1b', { token: world.token('staff') })).status,
      404,
    );
  });

  it('pages through the list with a cursor, newest first, without gaps or repeats', async () => {
    const programme = `history${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await call(world.url, 'POST', '/students', { token: world.token('staff'), body: student({ programme }) })).body.data.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/students?limit=3&programme=${programme}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(world.url, 'GET', path, { token: world.token('admin') });
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length <= 3);
      seen.push(...res.body.data.map((s: { id: string }) => s.id));
      cursor = res.body.pagination.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
  });

  it('searches by name prefix, student id prefix, programme and status, best match first', async () => {
    const alice = (
      await call(world.url, 'POST', '/students', {
        token: world.token('staff'),
        body: student({ firstName: 'Alicia', lastName: 'Quarrington', programme: 'medicine', studentId: 'MD2024000777' }),
      })
    ).body.data;
    const medina = (
      await call(world.url, 'POST', '/students', {
        token: world.token('staff'),
        body: student({ firstName: 'Bob', lastName: 'Medina', programme: 'law' }),
      })
    ).body.data;
    const byName = await call(world.url, 'GET', '/students/search?q=medi&limit=5', { token: world.token('security') });
    assert.equal(byName.status, 200);
    assert.deepEqual(
      byName.body.data.results.map((s: { id: string }) => s.id),
      [medina.id, alice.id],
      'a name match outranks a programme match',
    );
    const byId = await call(world.url, 'GET', '/students/search?q=MD2024', { token: world.token('staff') });
    assert.deepEqual(
      byId.body.data.results.map((s: { id: string }) => s.id),
      [alice.id],
    );
    const twoTerms = await call(world.url, 'GET', '/students/search?q=quarr%20medicine', { token: world.token('staff') });
    assert.deepEqual(
      twoTerms.body.data.results.map((s: { id: string }) => s.id),
      [alice.id],
    );
    for (const term of ['john', 'CS2023', 'engineering', 'active']) {
      const res = await call(world.url, 'GET', `/students/search?q=${term}&limit=20`, { token: world.token('staff') });
      assert.ok(res.body.data.results.length > 0, `term ${term} must hit`);
    }
    const injection = await call(world.url, 'GET', `/students/search?q=${encodeURIComponent("a:* | !b & (c')")}`, {
      token: world.token('staff'),
    });
    assert.equal(injection.status, 200);
    const nothing = await call(world.url, 'GET', '/students/search?q=%21%21%21', { token: world.token('staff') });
    assert.deepEqual(nothing.body.data.results, []);
  });

  it('lets a student read only their own record', async () => {
    const mine = (await call(world.url, 'POST', '/students', { token: world.token('staff'), body: student() })).body.data;
    const other = (await call(world.url, 'POST', '/students', { token: world.token('staff'), body: student() })).body.data;
    const token = await world.env.tokenFor('student', { studentRef: mine.id });
    assert.equal((await call(world.url, 'GET', `/students/${mine.id}`, { token })).status, 200);
    assert.equal((await call(world.url, 'GET', `/students/${other.id}`, { token })).status, 403);
    assert.equal((await call(world.url, 'GET', '/students', { token })).status, 403);
    assert.equal((await call(world.url, 'GET', '/students/search?q=john', { token })).status, 403);
  });

  it('invalidates cached reads and searches in every API process after a write', async () => {
    const second = await world.env.start();
    const created = (await call(world.url, 'POST', '/students', { token: world.token('staff'), body: student({ firstName: 'Zebedee' }) }))
      .body.data;
    // Warm both processes' caches.
    for (const base of [world.url, second.url]) {
      assert.equal((await call(base, 'GET', `/students/${created.id}`, { token: world.token('staff') })).body.data.firstName, 'Zebedee');
      assert.equal((await call(base, 'GET', '/students/search?q=zebedee', { token: world.token('staff') })).body.data.results.length, 1);
    }
    await call(world.url, 'PATCH', `/students/${created.id}`, { token: world.token('staff'), body: { firstName: 'Zachary' } });
    // Pub/sub delivery is asynchronous; poll briefly rather than sleep a fixed time.
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'Zachary'; i++) {
      seen = (await call(second.url, 'GET', `/students/${created.id}`, { token: world.token('staff') })).body.data.firstName;
      if (seen !== 'Zachary') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(seen, 'Zachary');
    assert.equal(
      (await call(second.url, 'GET', '/students/search?q=zebedee', { token: world.token('staff') })).body.data.results.length,
      0,
    );
    assert.equal(
      (await call(second.url, 'GET', '/students/search?q=zachary', { token: world.token('staff') })).body.data.results.length,
      1,
    );
  });

  it('serves reads when a read replica is down, and reads its own writes', async () => {
    // Replica 0 is the primary itself (a real server), replica 1 refuses connections.
    const withReplicas = await world.env.start({ DATABASE_REPLICA_URLS: `${world.env.database.url},postgres://postgres@127.0.0.1:1/none` });
    for (let i = 0; i < 6; i++) {
      const res = await call(withReplicas.url, 'GET', '/students?limit=2', { token: world.token('staff') });
      assert.equal(res.status, 200);
    }
    const created = await call(withReplicas.url, 'POST', '/students', { token: world.token('staff'), body: student() });
    const readBack = await call(withReplicas.url, 'GET', `/students/${created.body.data.id}`, { token: world.token('staff') });
    assert.equal(readBack.status, 200);
    const states = withReplicas.deps.db.replicaStates();
    assert.equal(states[1]?.healthy, false, 'the dead replica is out of rotation');
  });
});
