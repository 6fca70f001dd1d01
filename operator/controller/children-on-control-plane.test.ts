/**
 * The operator's children against a real control plane with the upstream CloudNativePG and
 * prometheus-operator CRDs: every child of the production example is accepted as written, an app
 * upgrade changes nothing immutable, and a restarted operator touches neither the platform's keys
 * nor the replica counts it finds running.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { childNames } from '../../cdk8s/platform/names.js';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { eventually } from '../../testing/eventually.js';
import { setOperatorRules, type PolicyRule } from '../../testing/control-plane/operator-identity.js';
import {
  DEADLINE_MS,
  getPlatform as readPlatform,
  provisionRedisVolumes,
  startTestController,
  platformWarnings,
} from '../../testing/control-plane/platform-controller.js';
import type { ControllerOptions } from './controller.js';
import { generatePlatformKeys } from './platform-keys.js';
import { reconcile } from '../reconcile/reconcile.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../platform-api/v1alpha1/index.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const names = childNames('campus');

let cluster: TestControlPlane;

before(async () => {
  cluster = await startTestControlPlane();
});
after(async () => {
  await cluster.stop();
});

/** A controller with the operator's own ServiceAccount and RBAC; `settled()` stands for idle. */
async function startController(namespace: string, options: Partial<ControllerOptions> = {}) {
  const operator = await startTestController(cluster, namespace, options);
  return { idle: operator.settled, stop: operator.stop, kubeConfig: operator.kubeConfig };
}

/** examples/production.yaml, put in `namespace`. */
async function createProductionPlatform(namespace: string): Promise<PassPlatform> {
  const manifest = load(readFileSync(new URL('../../examples/production.yaml', import.meta.url), 'utf8')) as PassPlatform;
  manifest.metadata.namespace = namespace;
  return (await cluster.custom.createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    body: manifest,
  })) as PassPlatform;
}

const getPlatform = (namespace: string) => readPlatform(cluster, namespace);

/** The children a first reconcile of the platform wants, read back from the server. */
async function waitForEveryChild(namespace: string): Promise<KubernetesObject[]> {
  const wanted =
    reconcile({ platform: await getPlatform(namespace), observed: { children: [] }, now: new Date(), generateKeys: generatePlatformKeys })
      .children ?? [];
  assert.ok(wanted.length > 10);
  return eventually(
    async () => {
      const found = await Promise.all(
        wanted.map((c) =>
          cluster.objects
            .read({ apiVersion: c.apiVersion as string, kind: c.kind as string, metadata: { name: c.metadata?.name as string, namespace } })
            .catch(() => undefined),
        ),
      );
      return found.every(Boolean) && (found as KubernetesObject[]);
    },
    'every child created',
    DEADLINE_MS,
  );
}

const warnings = (namespace: string) => platformWarnings(cluster, namespace);

describe('children on a real control plane', () => {
  it(
    'every child of the production example is accepted by kube-apiserver and the upstream CRDs, as written',
    { timeout: 300_000 },
    async () => {
      const namespace = await cluster.namespace('accepted');
      const controller = await startController(namespace);
      try {
        await createProductionPlatform(namespace);
        await waitForEveryChild(namespace);
        await controller.idle();
        assert.deepEqual(
          (await warnings(namespace)).filter((w) => w.startsWith('ApplyFailed')),
          [],
        );
        const database = (await cluster.objects.read({
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: { name: names.database, namespace },
        })) as KubernetesObject & {
          spec: { resources: { limits: { memory: unknown }; requests: { cpu: unknown } } };
        };
        assert.equal(database.spec.resources.limits.memory, '16Gi');
        assert.equal(database.spec.resources.requests.cpu, '4');
      } finally {
        await controller.stop();
      }
    },
  );

  it('an app upgrade applies without touching anything immutable, and does not roll the Redis nodes', { timeout: 300_000 }, async () => {
    const namespace = await cluster.namespace('upgrade');
    const controller = await startController(namespace);
    try {
      await createProductionPlatform(namespace);
      await waitForEveryChild(namespace);
      await controller.idle();
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
      await controller.idle();
      assert.deepEqual(
        (await warnings(namespace)).filter((w) => w.startsWith('ApplyFailed')),
        [],
      );
      const redisAfter = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
      assert.equal(redisAfter.metadata?.generation, redisBefore.metadata?.generation, 'the Redis pod template did not change');
    } finally {
      await controller.stop();
    }
  });

  it('a restarted operator keeps the keys, the replica counts the autoscaler set and the running pods', { timeout: 600_000 }, async () => {
    const namespace = await cluster.namespace('restart');
    // The first operator's autoscaler decided 10 API pods (inside the spec's 4..40).
    const first = await startController(namespace, { scaling: () => ({ replicas: { api: 10 }, decisions: [] }) });
    try {
      await createProductionPlatform(namespace);
      await waitForEveryChild(namespace);
      await provisionRedisVolumes(cluster, namespace);
      await eventually(
        async () => (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).status?.readyReplicas === 10,
        '10 API pods ready (kube-controller-manager, kube-scheduler, kwok)',
        DEADLINE_MS,
      );
      await first.idle();
    } finally {
      await first.stop();
    }
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
    const secondOperator = await startTestController(cluster, namespace, { kubeConfig: first.kubeConfig, returnEarly: true });
    const second = { idle: secondOperator.settled, stop: secondOperator.stop };
    try {
      await eventually(async () => secondOperator.problems.some((p) => /forbidden/i.test(p)), 'the Deployment list refused', DEADLINE_MS);
      await setOperatorRules(cluster, namespace);
      await secondOperator.started;
      await second.idle();
      const keysAfter = await cluster.core.readNamespacedSecret({ name: names.keys, namespace });
      assert.deepEqual(keysAfter.data, keysBefore.data, 'the keys were kept');
      const apiAfter = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
      assert.equal(apiAfter.spec?.replicas, 10);
      assert.equal(apiAfter.metadata?.generation, apiBefore.metadata?.generation, 'no rollout of the API');
      const redisAfter = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
      assert.equal(redisAfter.metadata?.generation, redisBefore.metadata?.generation, 'no rollout of Redis');
      assert.deepEqual(await podUids(namespace), podsBefore, 'the same pods run');
    } finally {
      await second.stop();
    }
  });
});

async function podUids(namespace: string): Promise<string[]> {
  const pods = await cluster.core.listNamespacedPod({ namespace });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded')
    .map((p) => `${p.metadata?.name}/${p.metadata?.uid}`)
    .sort();
}
