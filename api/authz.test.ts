/**
 * The access matrix, checked for every declared route: anonymous callers get 401 and every role
 * the route does not list gets 403. New routes are covered as soon as they are declared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, type Role } from './context.js';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../testing/api.js';

const SOME_UUID = '00000000-0000-4000-8000-000000000000';

describe('authorization on every route', () => {
  let env: TestEnvironment;
  let api: TestApi;
  const tokens = {} as Record<Role, string>;

  before(async () => {
    env = await createTestEnvironment('authz');
    api = await env.start();
    const [own] = await env
      .knex('students')
      .insert({
        student_id: 'CS2023000001',
        first_name: 'Own',
        last_name: 'Record',
        email: 'own@university.edu',
        programme: 'law',
        year_of_study: 1,
      })
      .returning('id');
    for (const role of ROLES) tokens[role] = await env.tokenFor(role, role === 'student' ? { studentRef: own.id } : {});
  });
  after(() => env.teardown());

  it('declares an access rule and an SLA class on every route', () => {
    const { routes } = api;
    assert.ok(routes.length >= 10);
    for (const route of routes) {
      assert.ok(route.access === 'public' || route.access.length > 0, `${route.method} ${route.path} has no roles`);
      assert.ok(route.sla, `${route.method} ${route.path} has no SLA class`);
    }
    const publicRoutes = routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(
      publicRoutes.sort(),
      ['get /asyncapi.json', 'get /health', 'get /metrics', 'get /ready', 'post /auth/login', 'post /auth/refresh'].sort(),
    );
  });

  it('answers 401 without a token and 403 to every role not allowed', async () => {
    const { routes } = api;
    let refusals = 0;
    for (const route of routes) {
      if (route.access === 'public') continue;
      const path = route.path.replace(/:[A-Za-z]+/g, SOME_UUID);
      const method = route.method.toUpperCase();
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const anonymous = await call(api.url, method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${route.path} anonymous`);
      for (const role of ROLES.filter((r) => !(route.access as readonly Role[]).includes(r))) {
        const res = await call(api.url, method, path, { token: tokens[role], body });
        assert.equal(res.status, 403, `${method} ${route.path} as ${role}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'FORBIDDEN');
        refusals += 1;
      }
    }
    assert.ok(refusals > 5, `checked ${refusals} refusals`);
  });

  it("publishes an OpenAPI document naming each route's roles", async () => {
    const res = await call(api.url, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.deepEqual(res.body.paths['/students/{id}'].delete['x-roles'], ['admin']);
    assert.equal(res.body.paths['/auth/login'].post.requestBody.content['application/json'].schema.properties.email.format, 'email');
  });

  it('serves health, readiness, metrics, a request id and a response time', async () => {
    const health = await call(api.url, 'GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-request-id'), 'abc-123');
    assert.match(health.headers.get('x-response-time') ?? '', /^\d+\.\d+ms$/);
    const ready = await call(api.url, 'GET', '/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.data.checks.database, 'ok');
    const metrics = await call(api.url, 'GET', '/metrics');
    assert.match(metrics.body, /http_server_request_duration_seconds_bucket\{[^}]*le="0.2"/);
    assert.match(metrics.body, /sla_class="auth"/);
    assert.match(metrics.body, /db_client_operation_duration_seconds_count\{[^}]*pool="primary"/);
    assert.match(metrics.body, /passplatform_process_memory_limit_bytes\{[^}]*\} \d+/);
    assert.match(metrics.body, /passplatform_volume_free_bytes\{[^}]*volume="uploads"/);
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(health.headers.get('x-frame-options'), 'DENY');
    const me = await call(api.url, 'GET', '/auth/me', { token: tokens.staff });
    assert.equal(me.headers.get('cache-control'), 'private, no-store', 'authenticated answers are not cached by shared caches');
    const big = await fetch(`${api.url}/openapi.json`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(big.headers.get('content-encoding'), 'gzip', 'large responses are compressed');
    const unknown = await call(api.url, 'GET', '/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
  });
});
