import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD, call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';

describe('graceful shutdown', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await createTestEnvironment('shutdown');
  });
  after(() => env.teardown());

  it('finishes in-flight requests, turns readiness off, then refuses new connections', async () => {
    // A generous grace: past it the server cuts connections, and twelve logins on a busy machine can take seconds.
    const api = await env.start({ SHUTDOWN_GRACE_MS: '60000' });
    const user = await env.createUser('staff');
    // Logins take tens of milliseconds (Argon2), so these are still in flight when stop() begins.
    const inFlight = Array.from({ length: 12 }, () =>
      call(api.url, 'POST', '/auth/login', { body: { email: user.email, password: TEST_PASSWORD } }),
    );
    // Wait until every request has reached the app, so none is still connecting when the listener closes.
    const active = api.deps.registry.getSingleMetric('http_server_active_requests');
    // (Counted as in flight or already answered, so a fast machine that finishes some first does not stall the wait.)
    const duration = api.deps.registry.getSingleMetric('http_server_request_duration_seconds');
    const reached = async () => {
      const inFlightNow = ((await active?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
      const answered = ((await duration?.get())?.values ?? [])
        .filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))
        .reduce((sum, v) => sum + v.value, 0);
      return inFlightNow + answered >= 12;
    };
    await eventually(reached, 'all 12 logins inside the app', 60_000);
    const stopping = api.stop();
    assert.equal(api.deps.draining.value, true);
    const results = await Promise.all(inFlight);
    assert.deepEqual(
      results.map((r) => r.status),
      Array(12).fill(200),
    );
    await stopping;
    await assert.rejects(fetch(`${api.url}/health`), 'the listener is closed');
  });
});
