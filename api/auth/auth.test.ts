import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_PASSWORD, call } from '../../testing/api.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

describe('auth', () => {
  const world = useTestEnvironment('auth');

  it('logs in with the right password and returns a token pair and the user', async () => {
    const user = await world.env.createUser('staff');
    const res = await call(world.url, 'POST', '/auth/login', { body: { email: user.email.toUpperCase(), password: TEST_PASSWORD } });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.data.token, 'string');
    assert.equal(typeof res.body.data.refreshToken, 'string');
    assert.equal(res.body.data.user.id, user.id);
    assert.equal(res.body.data.user.role, 'staff');
    assert.equal(res.body.data.user.password_hash, undefined);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const me = await call(world.url, 'GET', '/auth/me', { token: res.body.data.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.data.email, user.email);
  });

  it('refuses a wrong password and an unknown account alike with 401', async () => {
    const user = await world.env.createUser('staff');
    const wrong = await call(world.url, 'POST', '/auth/login', { body: { email: user.email, password: 'nope-nope' } });
    const unknown = await call(world.url, 'POST', '/auth/login', { body: { email: 'ghost@university.edu', password: 'nope-nope' } });
    for (const res of [wrong, unknown]) {
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'INVALID_CREDENTIALS');
    }
  });

  it('rejects malformed, wrongly typed and oversized bodies without a 500', async () => {
    const missing = await call(world.url, 'POST', '/auth/login', { body: { email: 'not-an-email' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'VALIDATION_FAILED');
    assert.ok(Array.isArray(missing.body.error.details));
    const badJson = await call(world.url, 'POST', '/auth/login', { raw: '{"email":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'BAD_REQUEST');
    const text = await call(world.url, 'POST', '/auth/login', { raw: 'email=a', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const huge = await call(world.url, 'POST', '/auth/login', { body: { email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'PAYLOAD_TOO_LARGE');
    for (const res of [missing, badJson, text, huge]) assert.doesNotMatch(JSON.stringify(res.body), /at .*\.ts:\d+/);
  });

  it('rotates refresh tokens and revokes the family when a spent token is reused', async () => {
    const user = await world.env.createUser('student');
    const first = await world.env.login(user.email);
    const second = await call(world.url, 'POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.data.refreshToken, first.refreshToken);

    const replay = await call(world.url, 'POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'REFRESH_TOKEN_REUSED');
    // The legitimate successor is now revoked too: the whole family is gone.
    const successor = await call(world.url, 'POST', '/auth/refresh', { body: { refreshToken: second.body.data.refreshToken } });
    assert.equal(successor.status, 401);
    assert.equal(successor.body.error.code, 'SESSION_REVOKED');
    const audit = await world.env.knex('audit_logs').where({ event_type: 'auth.refresh_token_reused', actor_id: user.id });
    assert.equal(audit.length, 1);
  });

  it('logout revokes the session, and forged or expired tokens get 401', async () => {
    const user = await world.env.createUser('security');
    const pair = await world.env.login(user.email);
    assert.equal((await call(world.url, 'POST', '/auth/logout', { token: pair.token })).status, 204);
    const after = await call(world.url, 'POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } });
    assert.equal(after.status, 401);

    const [h, p] = pair.token.split('.');
    const forged = await call(world.url, 'GET', '/auth/me', { token: `${h}.${p}.AAAA` });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'INVALID_TOKEN');
    assert.equal((await call(world.url, 'GET', '/auth/me')).status, 401);

    const shortLived = await world.env.start({ ACCESS_TOKEN_TTL_SECONDS: '1' });
    const login = await call(shortLived.url, 'POST', '/auth/login', { body: { email: user.email, password: TEST_PASSWORD } });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await call(shortLived.url, 'GET', '/auth/me', { token: login.body.data.token });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'TOKEN_EXPIRED');
  });
});
