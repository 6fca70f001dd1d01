import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD, call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';

describe('graceful shutdown', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await createTestEnvironment('shutdown');
  });
  after(() => env.teardown());

  it('finishes in-flight requests, turns readiness off, then refuses new connections', async () => {
    const api = await env.start();
    const user = await env.createUser('staff');
    // Logins take tens of milliseconds (Argon2), so these are still in flight when stop() begins.
    const inFlight = Array.from({ length: 12 }, () => call(api.url, 'POST', '/auth/login', { body: { email: user.email, password: TEST_PASSWORD } }));
    // Wait until every request has reached the app, so none is still connecting when the listener closes.
    const active = api.deps.registry.getSingleMetric('http_server_active_requests');
    for (let i = 0; i < 200; i++) {
      const value = (await active?.get())?.values[0]?.value ?? 0;
      if (value >= 12) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    const stopping = api.stop();
    assert.equal(api.deps.draining.value, true);
    const results = await Promise.all(inFlight);
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
    await stopping;
    await assert.rejects(fetch(`${api.url}/health`), 'the listener is closed');
  });
});
