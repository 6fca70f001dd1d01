import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ROLES, type Role } from '../context.js';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

/** Every route of the pass lifecycle and who may call it; everyone else gets 403, anonymous 401. */
const id = randomUUID();
const MATRIX: [method: string, path: string, allowed: Role[]][] = [
  ['POST', '/passes', ['admin', 'staff']],
  ['GET', '/passes', ['admin', 'staff', 'student']],
  ['GET', `/passes/${id}`, ['admin', 'staff', 'security', 'student']],
  ['GET', `/passes/${id}/qr`, ['admin', 'staff', 'student']],
  ['POST', `/passes/${id}/revoke`, ['admin', 'staff']],
  ['POST', '/passes/verify', ['security', 'admin']],
  ['POST', '/applications', ['student']],
  ['GET', '/applications', ['admin', 'staff', 'student']],
  ['GET', '/applications/queue', ['admin', 'staff']],
  ['GET', `/applications/${id}`, ['admin', 'staff', 'student']],
  ['POST', `/applications/${id}/review`, ['admin', 'staff']],
  ['POST', `/applications/${id}/approve`, ['admin', 'staff']],
  ['POST', `/applications/${id}/reject`, ['admin', 'staff']],
  ['POST', `/applications/${id}/withdraw`, ['student']],
  ['GET', '/access-logs', ['admin', 'staff', 'security', 'student']],
  ['GET', '/analytics/verifications', ['admin', 'staff']],
  ['GET', '/analytics/applications/funnel', ['admin', 'staff']],
  ['GET', '/analytics/passes/active', ['admin', 'staff']],
];

describe('pass lifecycle roles', () => {
  let env: TestEnvironment;
  let url: string;
  const tokens = {} as Record<Role, string>;
  before(async () => {
    env = await createTestEnvironment('pass-roles');
    url = (await env.start()).url;
    const [row] = await env
      .knex('students')
      .insert({
        student_id: 'CS2026777',
        first_name: 'Role',
        last_name: 'Test',
        email: 'role@university.edu',
        programme: 'computer science',
        year_of_study: 1,
      })
      .returning('id');
    for (const role of ROLES) tokens[role] = await env.tokenFor(role, role === 'student' ? { studentRef: (row as { id: string }).id } : {});
  });
  after(() => env.teardown());

  it('declares exactly these routes with these roles in the OpenAPI document', async () => {
    const doc = (await call(url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-roles': string[] }>> };
    for (const [method, path, allowed] of MATRIX) {
      const template = path.replace(id, '{id}');
      assert.deepEqual(
        [...(doc.paths[template]?.[method.toLowerCase()]?.['x-roles'] ?? [])].sort(),
        [...allowed].sort(),
        `${method} ${template}`,
      );
    }
  });

  it('answers 401 without a token and 403 to every role not allowed', async () => {
    for (const [method, path, allowed] of MATRIX) {
      const body = method === 'POST' ? {} : undefined;
      assert.equal((await call(url, method, path, { body })).status, 401, `anonymous ${method} ${path}`);
      for (const role of ROLES.filter((r) => !allowed.includes(r))) {
        const res = await call(url, method, path, { token: tokens[role], body });
        assert.equal(res.status, 403, `${role} ${method} ${path}`);
        assert.equal(res.body.error.code, 'FORBIDDEN');
      }
      for (const role of allowed) {
        const res = await call(url, method, path, { token: tokens[role], body });
        assert.ok(![401, 403, 500].includes(res.status), `${role} ${method} ${path} → ${res.status}`);
      }
    }
  });
});
