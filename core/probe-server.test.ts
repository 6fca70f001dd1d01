/**
 * The probe server the workers and the operator share, on a real port: probes open, readiness
 * following the process, metrics and every other path behind the access given, and a failed
 * collection answered 503 rather than dropping the connection.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { bearerTokenAccess, OPERATOR_PROBES, PLATFORM_PROBES, startProbeServer, type ProbeServer } from './probe-server.js';

const started: ProbeServer[] = [];
after(() => Promise.all(started.map((server) => server.close())));

async function start(options: Parameters<typeof startProbeServer>[0]): Promise<ProbeServer> {
  const server = await startProbeServer(options);
  started.push(server);
  return server;
}

describe('probe server', () => {
  it('answers liveness always, readiness as the process says, on the paths it is given', async () => {
    let ready = false;
    const server = await start({ registry: new Registry(), paths: OPERATOR_PROBES, ready: () => ready, port: 0, host: '127.0.0.1' });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.deepEqual([notReady.status, await notReady.json()], [503, { status: 'not ready' }]);
    ready = true;
    const nowReady = await fetch(`${server.url}/readyz`);
    assert.deepEqual([nowReady.status, await nowReady.json()], [200, { status: 'ready' }]);
    assert.equal((await fetch(`${server.url}/health`)).status, 404, 'only the paths it is given are probes');
  });

  it('keeps the probes open and puts /metrics and unknown paths behind a configured token', async () => {
    const registry = new Registry();
    new Counter({ name: 'probe_test_total', help: 'a series to find', registers: [registry] }).inc(3);
    const server = await start({
      registry,
      paths: PLATFORM_PROBES,
      ready: () => true,
      port: 0,
      host: '127.0.0.1',
      access: bearerTokenAccess('s3cret'),
    });
    for (const path of ['/health', '/ready']) assert.equal((await fetch(`${server.url}${path}`)).status, 200, path);
    for (const path of ['/metrics', '/cost', '/nothing-here']) {
      const refused = await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer wrong' } });
      assert.equal(refused.status, 401, path);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    }
    const scrape = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await scrape.text(), /^probe_test_total 3$/m);
    assert.equal((await fetch(`${server.url}/nothing-here`, { headers: { authorization: 'Bearer s3cret' } })).status, 404);
  });

  it('answers 503 when a metric cannot be collected', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'probe_test_broken',
      help: 'a gauge whose collection fails',
      registers: [registry],
      collect() {
        throw new Error('the source is gone');
      },
    });
    const server = await start({ registry, paths: PLATFORM_PROBES, ready: () => true, port: 0, host: '127.0.0.1' });
    const res = await fetch(`${server.url}/metrics`);
    assert.deepEqual([res.status, await res.text()], [503, 'metrics unavailable\n']);
    assert.equal((await fetch(`${server.url}/health`)).status, 200, 'the process still serves');
  });
});
