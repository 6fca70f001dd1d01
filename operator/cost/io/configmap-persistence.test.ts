/**
 * The history store over a real ConfigMap, through @kubernetes/client-node, on a real control plane
 * (as the operator's own ServiceAccount with the chart's RBAC): restart and leader change mid-month, conflicts, ownership; then the HTTP endpoint and
 * the CLI reading the same platform from the cluster.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import Koa from 'koa';
import { startTestControlPlane, type TestControlPlane } from '../../../testing/control-plane/for-tests.js';
import { operatorKubeConfig } from '../../../testing/control-plane/operator-identity.js';
import { eventually } from '../../../testing/eventually.js';
import { platformManifest } from '../../fixtures.js';
import { API_GROUP, API_VERSION, KIND, PLURAL, type PassPlatform } from '../../../platform-api/v1alpha1/index.js';
import { configMapPersistence, costHistoryConfigMapName, HISTORY_KEY } from './configmap-persistence.js';
import { at, NOVEMBER_HISTORY, TEST_PRICES, TEST_SIZING } from '../fixtures.js';
import type { HistoryDocument } from '../history-document.js';
import { HistoryConflictError, ReplicaHistoryStore, type HistoryPersistence } from '../history-store.js';
import { costReportRouter } from '../http.js';
import { kubernetesCostSource, reportFromData } from '../service.js';

// Its own namespace on a control plane other test files share.
const NAMESPACE = `campus-${randomBytes(3).toString('hex')}`;
const NAME = 'pass';

describe('cost history in a ConfigMap', () => {
  let cluster: TestControlPlane;
  let kubeConfig: KubeConfig;
  let operatorConfig: KubeConfig;
  let platform: PassPlatform;
  let dir: string;

  before(async () => {
    cluster = await startTestControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'cost-configmap-'));
    kubeConfig = cluster.kubeConfig;
    await kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } });
    operatorConfig = await operatorKubeConfig(cluster, NAMESPACE);
    platform = (await kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: NAMESPACE,
      plural: PLURAL,
      body: platformManifest(NAME, NAMESPACE, { ...TEST_SIZING, cost: TEST_PRICES }),
    })) as PassPlatform;
  });

  after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh client and store, as a newly started operator process would build them. */
  function operatorProcess(clock: () => number, wrap: (p: HistoryPersistence) => HistoryPersistence = (p) => p): ReplicaHistoryStore {
    const config = operatorConfig;
    const owner = { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, name: NAME, uid: platform.metadata.uid, controller: true };
    const persistence = configMapPersistence({ api: config.makeApiClient(CoreV1Api), namespace: NAMESPACE, platformName: NAME, owner });
    return new ReplicaHistoryStore(wrap(persistence), { clock });
  }

  it('survives a restart and a leader change mid-month: the report equals the uninterrupted one', async () => {
    let now = at('2026-11-15T09:07:00Z');
    const clock = () => now;
    const first = operatorProcess(clock);
    await first.recordObserved({}, TEST_PRICES);
    await first.record(NOVEMBER_HISTORY.filter((change) => change.at < now));

    // The old leader still writes once while the new one takes over: both writes must land.
    now = at('2026-12-02T00:00:00Z');
    const standby = operatorProcess(clock);
    const racing = operatorProcess(clock, (persistence) => ({
      load: () => persistence.load(),
      save: async (doc: HistoryDocument, version: string | undefined) => {
        await standby.record(
          NOVEMBER_HISTORY.filter((change) => change.component === 'worker-uploads' && change.at >= at('2026-11-15T09:07:00Z')),
        );
        return persistence.save(doc, version).catch((error: unknown) => {
          if (error instanceof HistoryConflictError) conflicts++;
          throw error;
        });
      },
    }));
    let conflicts = 0;
    await racing.record(NOVEMBER_HISTORY.filter((change) => change.component === 'api' && change.at >= at('2026-11-15T09:07:00Z')));

    assert.equal(conflicts, 1, "the old leader's first write met a 409 and was retried");
    const source = kubernetesCostSource(kubeConfig);
    const data = await source.load({ namespace: NAMESPACE, name: NAME });
    assert.ok(data);
    // The burst of uploads workers on Nov 20 06:00 was compacted into one hour by the time it was written.
    assert.deepEqual(data.history.components['worker-uploads'], [
      [at('2026-10-01T00:00:00Z'), 1],
      [at('2026-11-20T06:00:00Z'), 2 * 3_600_000, 3, 1],
    ]);
    assert.equal(data.history.components.api?.length, 4);
    const report = reportFromData(data, { period: { month: '2026-11' }, now: at('2026-12-15T00:00:00Z') });
    assert.equal(report.total.cost, 1250.463667);
    const configMap = await kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: costHistoryConfigMapName(NAME), namespace: NAMESPACE });
    assert.equal(configMap.metadata?.ownerReferences?.[0]?.uid, platform.metadata.uid);
    assert.ok(configMap.data?.[HISTORY_KEY]);
  });

  it('serves the month over HTTP with the exact figures', async () => {
    const app = new Koa();
    app.use(costReportRouter({ source: kubernetesCostSource(kubeConfig), clock: () => at('2026-12-15T00:00:00Z') }).routes());
    const http = app.listen(0);
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/cost/${NAMESPACE}/${NAME}`;
      const json = (await (await fetch(`${base}?month=2026-11&requests=2000000&activeUsers=4000`)).json()) as {
        data: { total: { cost: number }; unitCosts: { per1000Requests: number } };
      };
      assert.equal(json.data.total.cost, 1250.463667);
      assert.equal(json.data.unitCosts.per1000Requests, 0.625232);
      const html = await fetch(`${base}?month=2026-11&format=html`);
      assert.match(html.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await html.text(), /<svg /);
      const missing = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/cost/${NAMESPACE}/nope?month=2026-11`);
      assert.equal(missing.status, 404);
      const invalid = await fetch(`${base}?month=2026-13`);
      assert.equal(invalid.status, 400);
      assert.equal(((await invalid.json()) as { error: { code: string } }).error.code, 'INVALID_QUERY');
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('the CLI reads the same platform from the cluster', async () => {
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeConfig.exportConfig());
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'operator/cost/cli.ts',
        '--platform',
        `${NAMESPACE}/${NAME}`,
        '--month',
        '2026-11',
        '--format',
        'csv-totals',
        '--now',
        '2026-12-15T00:00:00Z',
        '--kubeconfig',
        kubeconfigPath,
      ],
      { encoding: 'utf8' },
    );
    assert.match(
      stdout,
      /\r\n2026-11-01T00:00:00\.000Z,2026-12-01T00:00:00\.000Z,2026-11-01T00:00:00\.000Z,6742\.666667,1250\.463667,1333\.872,83\.408333,/,
    );
  });

  it('goes with the platform: the ConfigMap is owned and garbage-collected', async () => {
    await kubeConfig
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace: NAMESPACE, plural: PLURAL, name: NAME });
    // kube-controller-manager's garbage collector deletes what the platform owned.
    await eventually(
      async () => {
        const list = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: NAMESPACE });
        return list.items.every((item) => item.metadata?.name !== costHistoryConfigMapName(NAME));
      },
      'the history ConfigMap collected',
      180_000,
    );
  });
});
