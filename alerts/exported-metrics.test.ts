/**
 * Every metric an alert rule or a dashboard panel reads is exported by a running process: the API
 * and the workers (real processes on real Postgres and Redis) and the operator (`operator/main.ts`
 * as a child process against the test Kubernetes API server, with a PassPlatform to manage).
 * A rule pointing at a series nobody exports would never fire; this is where that is caught.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { installPlatformCrds } from '../testing/k8s-apiserver/crds.js';
import { startTestApiServer, type TestApiServer } from '../testing/k8s-apiserver/server.js';
import { startTestWorkers } from '../workers/testing.js';
import { metricFamily, referencedMetrics } from './referenced-metrics.js';
import { freePort } from '../core/ports.js';


/** Metric families a /metrics page declares (`# TYPE name kind`). */
function families(page: string): Set<string> {
  return new Set([...page.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `scrape ${url}`);
  return res.text();
}

describe('metrics read by alerts and dashboards', () => {
  let env: TestEnvironment;
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  let kube: TestApiServer;
  let operator: ChildProcess | undefined;

  before(async () => {
    env = await createTestEnvironment('exported-metrics');
    workers = await startTestWorkers(env.env);
    kube = await startTestApiServer();
    installPlatformCrds(kube.resources);
  });
  after(async () => {
    operator?.kill('SIGTERM');
    await workers.stop();
    await kube.close();
    await env.teardown();
  });

  it('are all exported by the API, the workers or the operator', async () => {
    const api = await env.start();
    // Some families appear only once used: a login, a search, a verification attempt.
    const staff = await env.tokenFor('staff');
    await call(api.url, 'GET', '/students/search?q=john', { token: staff });
    await call(api.url, 'POST', '/passes/verify', { token: await env.tokenFor('security'), body: { code: 'k1.AAAA.BBBB', gate: 'north', direction: 'entry' } });

    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'pp-kube-')), 'config');
    kube.writeKubeconfig(kubeconfig);
    const metricsPort = await freePort();
    operator = spawn(process.execPath, ['--import', 'tsx', 'operator/main.ts'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, METRICS_PORT: String(metricsPort), POD_NAMESPACE: 'default', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const manifest = load(readFileSync('examples/small.yaml', 'utf8')) as Record<string, unknown>;
    const created = await fetch(`${kube.url}/apis/passplatform.io/v1alpha1/namespaces/default/passplatforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(manifest),
    });
    assert.equal(created.status, 201, await created.text());

    const operatorUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    // The operator registers its per-platform series once it leads and has reconciled the platform.
    const operatorPage = await eventually(async () => {
      const page = await fetch(operatorUrl).then((r) => (r.ok ? r.text() : undefined), () => undefined);
      return page && /passplatform_operator_reconcile_total\{/.test(page) ? page : undefined;
    }, 'the operator to reconcile', 30_000);

    const exported = new Set([
      ...families(await scrape(`${api.url}/metrics`)),
      ...families(await scrape(`${workers.metricsUrl}/metrics`)),
      ...families(operatorPage),
    ]);
    const missing = referencedMetrics()
      .filter((ref) => !exported.has(metricFamily(ref.name)))
      .map((ref) => `${ref.name} (read by ${ref.readBy.slice(0, 3).join(', ')})`);
    assert.deepEqual(missing, [], `metrics read but not exported:\n${missing.join('\n')}`);
    assert.ok(referencedMetrics().length > 20);
  });
});
