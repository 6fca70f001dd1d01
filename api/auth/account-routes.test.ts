import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { call } from '../../testing/api.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

describe('an admin disables and enables a staff account', () => {
  const world = useTestEnvironment('accounts', { tokens: ['admin'] });
  let otherUrl: string;
  before(async () => {
    // A second API process: the revoked sessions must reach it too.
    otherUrl = (await world.env.start()).url;
  });

  it('ends every session of the account at once, on every process, and bars login until enabled', async () => {
    const staff = await world.env.createUser('staff');
    const session = await world.env.login(staff.email);
    assert.equal((await call(otherUrl, 'GET', '/students?limit=1', { token: session.token })).status, 200);

    const disabled = await call(world.url, 'POST', `/users/${staff.id}/disable`, { token: world.token('admin') });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.data.disabled, true);
    for (const target of [world.url, otherUrl]) {
      const me = await call(target, 'GET', '/auth/me', { token: session.token });
      assert.equal(me.status, 401, target);
    }
    assert.equal((await call(otherUrl, 'GET', '/students?limit=1', { token: session.token })).status, 401);
    assert.equal((await call(world.url, 'POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);
    await assert.rejects(world.env.login(staff.email), /401/);
    const audited = await world.env.knex('audit_logs').where({ entity_id: staff.id, event_type: 'user.disabled' });
    assert.equal(audited.length, 1);

    const enabled = await call(world.url, 'POST', `/users/${staff.id}/enable`, { token: world.token('admin') });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.data.disabled, false);
    const fresh = await world.env.login(staff.email);
    assert.equal((await call(world.url, 'GET', '/auth/me', { token: fresh.token })).status, 200);
    // The old session stays ended.
    assert.equal((await call(world.url, 'GET', '/auth/me', { token: session.token })).status, 401);
  });

  it('refuses every role but admin, an admin disabling themself, and unknown or malformed ids', async () => {
    const target = await world.env.createUser('security');
    for (const role of ['staff', 'security', 'student'] as const) {
      const token = await world.env.tokenFor(role);
      for (const action of ['disable', 'enable'])
        assert.equal((await call(world.url, 'POST', `/users/${target.id}/${action}`, { token })).status, 403, `${role} ${action}`);
    }
    assert.equal((await call(world.url, 'POST', `/users/${target.id}/disable`)).status, 401);
    const self = (await call(world.url, 'GET', '/auth/me', { token: world.token('admin') })).body.data.id as string;
    const own = await call(world.url, 'POST', `/users/${self}/disable`, { token: world.token('admin') });
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, 'OWN_ACCOUNT');
    assert.equal((await call(world.url, 'POST', `/users/${randomUUID()}/disable`, { token: world.token('admin') })).status, 404);
    assert.equal((await call(world.url, 'POST', '/users/not-a-uuid/disable', { token: world.token('admin') })).status, 400);
  });
});
