/**
 * The operator's children against a real control plane with the upstream CloudNativePG and
 * prometheus-operator CRDs: every child of the production example is accepted as written, an app
 * upgrade changes nothing immutable, and a restarted operator touches neither the platform's keys
 * nor the replica counts it finds running.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { childNames } from '../../cdk8s/platform/names.js';
import { useControlPlane } from '../../testing/control-plane/use-control-plane.js';
import { eventually } from '../../testing/eventually.js';
import { setOperatorRules, type PolicyRule } from '../../testing/control-plane/operator-identity.js';
import {
  createPlatform,
  DEADLINE_MS,
  provisionRedisVolumes,
  startTestController,
  platformWarnings,
  waitForEveryChild,
} from '../../testing/control-plane/platform-controller.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../platform-api/v1alpha1/index.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const names = childNames('campus');

const cluster = useControlPlane();

/** examples/production.yaml, put in `namespace`. */
async function createProductionPlatform(namespace: string): Promise<PassPlatform> {
  const manifest = load(readFileSync(new URL('../../examples/production.yaml', import.meta.url), 'utf8')) as PassPlatform;
  manifest.metadata.namespace = namespace;
  return createPlatform(cluster, namespace, manifest);
}

describe('children on a real control plane', () => {
  it(
    'every child of the production example is accepted by kube-apiserver and the upstream CRDs, as written',
    { timeout: 300_000 },
    async (t) => {
      const { namespace, operator } = await cluster.controllerFor(t, 'accepted');
      await createProductionPlatform(namespace);
      await waitForEveryChild(cluster, namespace);
      await operator.settled();
      assert.deepEqual(
        (await platformWarnings(cluster, namespace)).filter((w) => w.startsWith('ApplyFailed')),
        [],
      );
      const database = (await cluster.objects.read({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: names.database, namespace },
      })) as KubernetesObject & {
        spec: {
          resources: { limits: { memory: unknown }; requests: { cpu: unknown } };
          bootstrap: { initdb: { localeCollate?: unknown } };
        };
      };
      assert.equal(database.spec.resources.limits.memory, '16Gi');
      assert.equal(database.spec.resources.requests.cpu, '4');
      // Read back through the CRD's structural schema, which drops a field it does not know.
      assert.equal(database.spec.bootstrap.initdb.localeCollate, 'C', 'the database sorts text by code point');
    },
  );

  it('an app upgrade applies without touching anything immutable, and does not roll the Redis nodes', { timeout: 300_000 }, async (t) => {
    const { namespace, operator } = await cluster.controllerFor(t, 'upgrade');
    await createProductionPlatform(namespace);
    await waitForEveryChild(cluster, namespace);
    await operator.settled();
    const redisBefore = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });

    await cluster.custom.patchNamespacedCustomObject(
      { group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL, name: 'campus', body: { spec: { version: '0.2.0' } } },
      MERGE,
    );
    await eventually(
      async () =>
        (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).spec?.template.metadata?.labels?.[
          'app.kubernetes.io/version'
        ] === '0.2.0',
      'the API rolled to 0.2.0',
      DEADLINE_MS,
    );
    await operator.settled();
    assert.deepEqual(
      (await platformWarnings(cluster, namespace)).filter((w) => w.startsWith('ApplyFailed')),
      [],
    );
    const redisAfter = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
    assert.equal(redisAfter.metadata?.generation, redisBefore.metadata?.generation, 'the Redis pod template did not change');
  });

  it('a restarted operator keeps the keys, the replica counts the autoscaler set and the running pods', { timeout: 600_000 }, async (t) => {
    // The first operator's autoscaler decided 10 API pods (inside the spec's 4..40).
    const { namespace, operator: first } = await cluster.controllerFor(t, 'restart', {
      scaling: () => ({ replicas: { api: 10 }, decisions: [] }),
    });
    await createProductionPlatform(namespace);
    await waitForEveryChild(cluster, namespace);
    await provisionRedisVolumes(cluster, namespace);
    await eventually(
      async () => (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).status?.readyReplicas === 10,
      '10 API pods ready (kube-controller-manager, kube-scheduler, kwok)',
      DEADLINE_MS,
    );
    await first.settled();
    await first.stop();
    const keysBefore = (await cluster.core.readNamespacedSecret({ name: names.keys, namespace })) as V1Secret;
    const apiBefore = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
    const redisBefore = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
    const podsBefore = await podUids(namespace);

    // The new operator has no autoscaler decision yet (its loop has not run): it must take the
    // replica counts it finds, which it can only know once its child caches have listed. Its
    // Deployment list is refused for a while (as when RBAC or the API server lags at start-up), so
    // an operator that reconciled before every cache listed would see no API Deployment here.
    const appsListRefused = {
      mapRule: (r: PolicyRule) =>
        r.apiGroups?.includes('apps') ? { ...r, verbs: r.verbs.filter((v) => v !== 'list' && v !== 'watch') } : r,
    };
    await setOperatorRules(cluster, namespace, appsListRefused);
    const second = await startTestController(cluster, namespace, { kubeConfig: first.kubeConfig, returnEarly: true });
    t.after(() => second.stop());
    await eventually(async () => second.problems.some((p) => /forbidden/i.test(p)), 'the Deployment list refused', DEADLINE_MS);
    await setOperatorRules(cluster, namespace);
    await second.started;
    await second.settled();
    const keysAfter = await cluster.core.readNamespacedSecret({ name: names.keys, namespace });
    assert.deepEqual(keysAfter.data, keysBefore.data, 'the keys were kept');
    const apiAfter = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
    assert.equal(apiAfter.spec?.replicas, 10);
    assert.equal(apiAfter.metadata?.generation, apiBefore.metadata?.generation, 'no rollout of the API');
    const redisAfter = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
    assert.equal(redisAfter.metadata?.generation, redisBefore.metadata?.generation, 'no rollout of Redis');
    assert.deepEqual(await podUids(namespace), podsBefore, 'the same pods run');
  });
});

async function podUids(namespace: string): Promise<string[]> {
  const pods = await cluster.core.listNamespacedPod({ namespace });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded')
    .map((p) => `${p.metadata?.name}/${p.metadata?.uid}`)
    .sort();
}
