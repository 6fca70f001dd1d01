/**
 * Attack: reading `/metrics` as an outsider. The API served it on its public port to anyone, and
 * the workers' metrics server listened on every interface. Now, with METRICS_TOKEN set (the
 * operator always sets it), both answer 401 without the bearer token, while the probes the
 * kubelet calls stay open; the workers listen on loopback unless told otherwise
 * (WORKER_METRICS_HOST, which only the pods set); and the ServiceMonitor the operator renders
 * gives Prometheus the same token from the same Secret key the containers read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { V1Deployment } from '@kubernetes/client-node';
import { createTestEnvironment, type TestEnvironment } from '../../testing/api.js';
import { spawnApiProcess, type ApiProcess } from '../../testing/api-process.js';
import { renderExample } from '../../testing/platform-children.js';
import { childNames } from '../../cdk8s/platform/names.js';
import { spawnWorkerProcess, type WorkerProcess } from '../../testing/worker-process.js';

const TOKEN = randomBytes(32).toString('base64url');

async function scrape(url: string, token?: string): Promise<{ status: number; challenge: string | null; text: string }> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), text: await res.text() };
}

/** Whether anything accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('attack: reading /metrics without the token', { timeout: 300_000 }, () => {
  let env: TestEnvironment;
  let api: ApiProcess;
  let workers: WorkerProcess;

  before(async () => {
    env = await createTestEnvironment('atk-metrics');
    api = await spawnApiProcess(env.env, { METRICS_TOKEN: TOKEN });
    workers = await spawnWorkerProcess(env.env, { METRICS_TOKEN: TOKEN, WORKER_QUEUES: 'uploads' });
  });
  after(async () => {
    await api?.stop();
    if (workers && workers.child.exitCode === null) workers.child.kill('SIGTERM');
    await workers?.exited;
    await env.teardown();
  });

  it('the API refuses a scrape without the bearer token or with a wrong one, and serves Prometheus with it', async () => {
    for (const token of [undefined, 'wrong', TOKEN.slice(0, -1)]) {
      const refused = await scrape(api.url, token);
      assert.equal(refused.status, 401, `token ${token}`);
      assert.match(refused.challenge ?? '', /^Bearer/);
      assert.equal(JSON.parse(refused.text).error.code, 'METRICS_TOKEN_REQUIRED');
      assert.doesNotMatch(refused.text, /http_server_request_duration_seconds/);
    }
    const served = await scrape(api.url, TOKEN);
    assert.equal(served.status, 200);
    assert.match(served.text, /^# HELP /m);
    // The kubelet's probes carry no token.
    assert.equal((await fetch(`${api.url}/health`)).status, 200);
  });

  it('the workers refuse a scrape without the token, keep their probes open, and listen on loopback only', async () => {
    for (const token of [undefined, 'wrong']) assert.equal((await scrape(workers.metricsUrl, token)).status, 401);
    const served = await scrape(workers.metricsUrl, TOKEN);
    assert.equal(served.status, 200);
    assert.match(served.text, /^# HELP /m);
    assert.equal((await fetch(`${workers.metricsUrl}/ready`)).status, 200);
    // Bound to 127.0.0.1, not 0.0.0.0: another address of this host (127.0.0.2 is one on Linux) finds nothing.
    const port = Number(new URL(workers.metricsUrl).port);
    assert.equal(await accepts('127.0.0.1', port), true);
    assert.equal(await accepts('127.0.0.2', port), false);
  });

  for (const example of ['small.yaml', 'production.yaml']) {
    it(`${example}: Prometheus is given the token the API and worker containers read`, () => {
      const { platform, children } = renderExample(example);
      const keys = childNames(platform.metadata.name).keys;
      const monitor = children.find((c) => c.kind === 'ServiceMonitor') as unknown as {
        spec: { endpoints: { port: string; authorization?: { type: string; credentials: { name: string; key: string } } }[] };
      };
      for (const endpoint of monitor.spec.endpoints)
        assert.deepEqual(endpoint.authorization, { type: 'Bearer', credentials: { name: keys, key: 'METRICS_TOKEN' } }, endpoint.port);
      const deployments = children.filter(
        (c) => c.kind === 'Deployment' && c.metadata?.labels?.['app.kubernetes.io/name'],
      ) as V1Deployment[];
      const app = deployments.flatMap((d) => d.spec?.template.spec?.containers ?? []).filter((c) => c.name === 'app');
      assert.ok(app.length >= 3, 'the API and the worker containers');
      for (const container of app) {
        const token = container.env?.find((e) => e.name === 'METRICS_TOKEN');
        assert.deepEqual(token?.valueFrom?.secretKeyRef, { name: keys, key: 'METRICS_TOKEN', optional: false });
      }
    });
  }
});
