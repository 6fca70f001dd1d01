import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

describe('an admin disables and enables a staff account', () => {
  let env: TestEnvironment;
  let url: string;
  let otherUrl: string;
  let admin: string;

  before(async () => {
    env = await createTestEnvironment('accounts');
    url = (await env.start()).url;
    // A second API process: the revoked sessions must reach it too.
    otherUrl = (await env.start()).url;
    admin = await env.tokenFor('admin');
  });
  after(() => env.teardown());

  it('ends every session of the account at once, on every process, and bars login until enabled', async () => {
    const staff = await env.createUser('staff');
    const session = await env.login(staff.email);
    assert.equal((await call(otherUrl, 'GET', '/students?limit=1', { token: session.token })).status, 200);

    const disabled = await call(url, 'POST', `/users/${staff.id}/disable`, { token: admin });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.data.disabled, true);
    for (const target of [url, otherUrl]) {
      const me = await call(target, 'GET', '/auth/me', { token: session.token });
      assert.equal(me.status, 401, target);
    }
    assert.equal((await call(otherUrl, 'GET', '/students?limit=1', { token: session.token })).status, 401);
    assert.equal((await call(url, 'POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);
    await assert.rejects(env.login(staff.email), /401/);
    const audited = await env.knex('audit_logs').where({ entity_id: staff.id, event_type: 'user.disabled' });
    assert.equal(audited.length, 1);

    const enabled = await call(url, 'POST', `/users/${staff.id}/enable`, { token: admin });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.data.disabled, false);
    const fresh = await env.login(staff.email);
    assert.equal((await call(url, 'GET', '/auth/me', { token: fresh.token })).status, 200);
    // The old session stays ended.
    assert.equal((await call(url, 'GET', '/auth/me', { token: session.token })).status, 401);
  });

  it('refuses every role but admin, an admin disabling themself, and unknown or malformed ids', async () => {
    const target = await env.createUser('security');
    for (const role of ['staff', 'security', 'student'] as const) {
      const token = await env.tokenFor(role);
      for (const action of ['disable', 'enable'])
        assert.equal((await call(url, 'POST', `/users/${target.id}/${action}`, { token })).status, 403, `${role} ${action}`);
    }
    assert.equal((await call(url, 'POST', `/users/${target.id}/disable`)).status, 401);
    const self = (await call(url, 'GET', '/auth/me', { token: admin })).body.data.id as string;
    const own = await call(url, 'POST', `/users/${self}/disable`, { token: admin });
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, 'OWN_ACCOUNT');
    assert.equal((await call(url, 'POST', `/users/${randomUUID()}/disable`, { token: admin })).status, 404);
    assert.equal((await call(url, 'POST', '/users/not-a-uuid/disable', { token: admin })).status, 400);
  });
});
