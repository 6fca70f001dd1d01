import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD, call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

const login = (url: string, email: string, password = TEST_PASSWORD) => call(url, 'POST', '/auth/login', { body: { email, password } });
/** A refresh with a token that does not exist: refused with 401, but counted by the limit. */
const refresh = (url: string) => call(url, 'POST', '/auth/refresh', { body: { refreshToken: 'not-a-real-refresh-token-0123456789' } });

describe('rate limits', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await createTestEnvironment('ratelimit');
  });
  after(() => env.teardown());

  it('limits token refresh per client with 429 and Retry-After, shared by every API process, then resets', async () => {
    // The four requests must fall inside one window. Ten seconds is a generous deadline for four requests
    // on a busy machine; the wait for the reset follows the server's Retry-After, not a guess.
    const overrides = { AUTH_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_WINDOW_SECONDS: '10' };
    const [a, b] = [await env.start(overrides), await env.start(overrides)];
    assert.equal((await refresh(a.url)).status, 401);
    assert.equal((await refresh(b.url)).status, 401);
    assert.equal((await refresh(a.url)).status, 401);
    const limited = await refresh(b.url);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    const retryAfterSeconds = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfterSeconds >= 1 && retryAfterSeconds <= 10, `Retry-After ${retryAfterSeconds} s is within the window`);
    // Other routes use the general limit, not the auth one.
    assert.equal((await call(a.url, 'GET', '/health')).status, 200);
    await new Promise((r) => setTimeout(r, retryAfterSeconds * 1000 + 100));
    assert.equal((await refresh(a.url)).status, 401, 'the window has passed');
    const metrics = await call(b.url, 'GET', '/metrics');
    assert.match(metrics.body, /passplatform_rate_limited_total\{scope="auth"[^}]*\} 1/);
  });

  it('locks an account at one address after exactly N failed logins, whatever the password', async () => {
    const api = await env.start({ LOGIN_FAILURES_PER_ACCOUNT: '2' });
    const user = await env.createUser('staff');
    assert.equal((await login(api.url, user.email, 'wrong-1')).status, 401);
    assert.equal((await login(api.url, user.email, 'wrong-2')).status, 401);
    const locked = await login(api.url, user.email);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 60);
    const other = await env.createUser('staff');
    assert.equal((await login(api.url, other.email)).status, 200, 'other accounts are unaffected');
  });

  it('keeps serving (limits in memory, cache bypassed) when Redis is unreachable', async () => {
    const api = await env.start({ REDIS_URL: 'redis://127.0.0.1:1', AUTH_RATE_LIMIT_PER_MINUTE: '2' });
    const user = await env.createUser('staff');
    const token = (await login(api.url, user.email)).body.data.token;
    const students = await call(api.url, 'GET', '/students?limit=1', { token });
    assert.equal(students.status, 200);
    const search = await call(api.url, 'GET', '/students/search?q=john', { token });
    assert.equal(search.status, 200);
    assert.equal((await refresh(api.url)).status, 401);
    assert.equal((await refresh(api.url)).status, 401);
    assert.equal((await refresh(api.url)).status, 429, 'the in-memory fallback still limits');
    const ready = await call(api.url, 'GET', '/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.error.details.redis, 'down');
  });
});
