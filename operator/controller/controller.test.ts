/**
 * The operator's controller on a real control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kwok), authenticated as its own ServiceAccount with the chart's RBAC: children
 * appear and are owned, the platform goes Ready as the real controllers roll its workloads out,
 * spec changes and drift are applied, deletion runs the finalizer and the real garbage collector
 * removes what the children owned (ReplicaSets, Pods, the Redis volumes' claims).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { RECONCILE_RESULT } from '../../core/metric-labels.js';
import { childNames } from '../../cdk8s/platform/names.js';
import { useControlPlane } from '../../testing/control-plane/use-control-plane.js';
import { eventually } from '../../testing/eventually.js';
import {
  createPlatform as createPlatformIn,
  DEADLINE_MS,
  getPlatform,
  patchPlatformSpec,
  provisionRedisVolumes,
  reportDatabaseHealthy,
  platformWarnings,
} from '../../testing/control-plane/platform-controller.js';
import { FINALIZER } from './controller.js';
import { OperatorMetrics } from './metrics.js';
import { platformManifest } from '../fixtures.js';
import { CHILD_KINDS } from '../../cdk8s/child-kinds.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../platform-api/v1alpha1/index.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const EXPECTED_CHILDREN = 20;
const names = childNames('campus');

const cluster = useControlPlane();

/** The children of platforms in `namespace`: objects the platform owns. */
async function children(namespace: string): Promise<KubernetesObject[]> {
  const lists = await Promise.all(CHILD_KINDS.map((k) => cluster.objects.list(k.apiVersion, k.kind, namespace)));
  return lists.flatMap((l) => l.items).filter((i) => i.metadata?.ownerReferences?.some((o) => o.kind === 'PassPlatform'));
}

const createPlatform = (namespace: string, spec: Record<string, unknown> = {}) =>
  createPlatformIn(cluster, namespace, platformManifest('campus', namespace, spec));

const allChildren = (namespace: string) =>
  eventually(
    async () => {
      const list = await children(namespace);
      return list.length === EXPECTED_CHILDREN && list;
    },
    'every child created',
    DEADLINE_MS,
  );

/** Deletes the platform and waits until the finalizer released it and it is gone. */
async function deletePlatform(namespace: string) {
  await cluster.custom.deleteNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL, name: 'campus' });
  await eventually(
    () =>
      getPlatform(cluster, namespace).then(
        () => false,
        () => true,
      ),
    'platform released and gone',
    DEADLINE_MS,
  );
}

/** How many reconciles `metrics` counted with a result (`passplatform_operator_reconcile_total`). */
const reconcilesCounted = (metrics: OperatorMetrics) => async (result: string) =>
  (await metrics.reconciles.get()).values.filter((v) => v.labels.result === result).reduce((sum, v) => sum + v.value, 0);

describe('PlatformController on a real control plane', () => {
  it(
    'creates every child owned by the platform, goes Progressing, then Ready once the real controllers rolled it out',
    { timeout: 600_000 },
    async (t) => {
      const { namespace } = await cluster.controllerFor(t, 'create');
      await createPlatform(namespace);
      const made = await allChildren(namespace);
      const platform = await getPlatform(cluster, namespace);
      assert.ok(platform.metadata.finalizers?.includes(FINALIZER));
      for (const child of made)
        assert.equal(child.metadata?.ownerReferences?.[0]?.uid, platform.metadata.uid, `${child.kind}/${child.metadata?.name}`);
      await eventually(
        async () => (await getPlatform(cluster, namespace)).status?.phase === 'Progressing',
        'status Progressing',
        DEADLINE_MS,
      );

      // Deployments, the Redis StatefulSet and its Job are rolled out by kube-controller-manager,
      // scheduled by kube-scheduler and run by kwok; storage and CloudNativePG are played here.
      await provisionRedisVolumes(cluster, namespace);
      await reportDatabaseHealthy(cluster, namespace);
      const ready = await eventually(
        async () => {
          const p = await getPlatform(cluster, namespace);
          return p.status?.phase === 'Ready' && p;
        },
        'status Ready',
        DEADLINE_MS,
      );
      assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.equal(ready.status?.observedGeneration, 1);
      const redis = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
      assert.equal(redis.status?.readyReplicas, redis.spec?.replicas, 'the Redis pods run on their claimed volumes');
      const events = await cluster.core.listNamespacedEvent({ namespace });
      assert.ok(events.items.some((e) => e.reason === 'Ready' && e.involvedObject.name === 'campus'));
      assert.deepEqual(await platformWarnings(cluster, namespace), []);
    },
  );

  it('applies a spec change to the children and touches nothing else', { timeout: 600_000 }, async (t) => {
    const { namespace, operator } = await cluster.controllerFor(t, 'change');
    await cluster.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'unrelated' }, data: { a: '1' } } });
    await createPlatform(namespace);
    await allChildren(namespace);
    await operator.settled();
    const unrelatedBefore = await cluster.core.readNamespacedConfigMap({ name: 'unrelated', namespace });
    await cluster.apps.patchNamespacedDeployment(
      { name: names.api, namespace, body: { metadata: { annotations: { 'team/owner': 'gate-security' } } } },
      MERGE,
    );
    const workerBefore = await cluster.apps.readNamespacedDeployment({ name: names.worker('reports'), namespace });

    await patchPlatformSpec(cluster, namespace, { api: { minReplicas: 4 }, workers: { uploads: { minReplicas: 3 } } });
    const api = await eventually(
      async () => {
        const d = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
        return d.spec?.replicas === 4 && d;
      },
      'api scaled to the new minimum',
      DEADLINE_MS,
    );
    assert.equal(api.metadata?.annotations?.['team/owner'], 'gate-security', 'a field set by someone else survives the apply');
    await eventually(
      async () => (await cluster.apps.readNamespacedDeployment({ name: names.worker('uploads'), namespace })).spec?.replicas === 3,
      'uploads worker scaled',
      DEADLINE_MS,
    );
    await eventually(
      async () => (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).status?.readyReplicas === 4,
      'four API pods ready (kube-controller-manager, kube-scheduler, kwok)',
      DEADLINE_MS,
    );
    await operator.settled();
    const workerAfter = await cluster.apps.readNamespacedDeployment({ name: names.worker('reports'), namespace });
    // Its status moves (the Deployment controller writes it); its spec must not.
    assert.equal(workerAfter.metadata?.generation, workerBefore.metadata?.generation, 'unchanged child not rewritten');
    const unrelatedAfter = await cluster.core.readNamespacedConfigMap({ name: 'unrelated', namespace });
    assert.equal(unrelatedAfter.metadata?.resourceVersion, unrelatedBefore.metadata?.resourceVersion);
    const platform = await getPlatform(cluster, namespace);
    assert.equal(platform.metadata.generation, 2);
    await eventually(
      async () => (await getPlatform(cluster, namespace)).status?.observedGeneration === 2,
      'status observed generation 2',
      DEADLINE_MS,
    );
  });

  it('restores a child deleted or edited by hand', { timeout: 600_000 }, async (t) => {
    const { namespace, operator } = await cluster.controllerFor(t, 'drift');
    await createPlatform(namespace);
    await allChildren(namespace);
    await operator.settled();
    const before = await cluster.core.readNamespacedService({ name: names.api, namespace });
    await cluster.core.deleteNamespacedService({ name: names.api, namespace });
    const restored = await eventually(
      () => cluster.core.readNamespacedService({ name: names.api, namespace }),
      'service restored',
      DEADLINE_MS,
    );
    assert.notEqual(restored.metadata?.uid, before.metadata?.uid);
    await operator.settled();

    const image = (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).spec?.template.spec?.containers[0]?.image;
    await cluster.apps.patchNamespacedDeployment(
      {
        name: names.api,
        namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'elsewhere/app:latest' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await eventually(
      async () =>
        (await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).spec?.template.spec?.containers[0]?.image === image,
      'image restored',
      DEADLINE_MS,
    );
  });

  it(
    'deletion runs the finalizer once, and the real garbage collector removes Pods, ReplicaSets and the Redis claims',
    { timeout: 600_000 },
    async (t) => {
      const { namespace } = await cluster.controllerFor(t, 'delete');
      await createPlatform(namespace);
      await allChildren(namespace);
      await provisionRedisVolumes(cluster, namespace);
      await eventually(
        async () => (await cluster.core.listNamespacedPersistentVolumeClaim({ namespace })).items.every((c) => c.status?.phase === 'Bound'),
        'the Redis claims bound',
        DEADLINE_MS,
      );
      await eventually(
        async () => (await cluster.core.listNamespacedPod({ namespace })).items.some((p) => p.status?.phase === 'Running'),
        'pods running',
        DEADLINE_MS,
      );
      await deletePlatform(namespace);
      await eventually(async () => (await children(namespace)).length === 0, 'children gone', DEADLINE_MS);
      await eventually(
        async () => (await cluster.apps.listNamespacedReplicaSet({ namespace })).items.length === 0,
        'ReplicaSets collected',
        DEADLINE_MS,
      );
      await eventually(async () => (await cluster.core.listNamespacedPod({ namespace })).items.length === 0, 'Pods collected', DEADLINE_MS);
      // ADR 0011: a Redis node's volume goes with it (persistentVolumeClaimRetentionPolicy).
      await eventually(
        async () => (await cluster.core.listNamespacedPersistentVolumeClaim({ namespace })).items.length === 0,
        'Redis claims collected',
        DEADLINE_MS,
      );
      const events = await cluster.core.listNamespacedEvent({ namespace });
      assert.equal(events.items.filter((e) => e.reason === 'Finalized').length, 1, 'Finalized recorded once');
    },
  );

  it(
    "without the chart's passplatforms/finalizers rule, the children are refused (the rule is needed)",
    { timeout: 600_000 },
    async (t) => {
      const { namespace } = await cluster.controllerFor(t, 'rbac', {
        identity: { withoutRule: (rule) => Boolean(rule.resources?.includes(`${PLURAL}/finalizers`)) },
      });
      await createPlatform(namespace);
      const refused = await eventually(
        async () => (await platformWarnings(cluster, namespace)).find((w) => w.startsWith('ApplyFailed')),
        'a refused apply',
        DEADLINE_MS,
      );
      assert.match(refused, /cannot set blockOwnerDeletion/);
      assert.deepEqual(await children(namespace), []);
    },
  );

  it(
    'a spec changed while a pass runs: the API server refuses its status write (409), the pass is requeued, not failed, and the next converges',
    { timeout: 600_000 },
    async (t) => {
      const metrics = new OperatorMetrics();
      const reconciles = reconcilesCounted(metrics);
      let interleaved: number | undefined;
      const { namespace, operator } = await cluster.controllerFor(t, 'conflict', {
        metrics,
        // Runs between the pass's read of the platform and its status write: the first time, a real
        // spec update lands on the API server in between.
        onApplied: async (platform) => {
          if (interleaved !== undefined) return;
          interleaved = platform.metadata.generation;
          await patchPlatformSpec(cluster, platform.metadata.namespace, { api: { minReplicas: 3 } });
        },
      });
      // Every status the API server stored, in order, as its watch reports them.
      const landed: (number | undefined)[] = [];
      const watch = await new Watch(cluster.kubeConfig).watch(
        `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${PLURAL}`,
        {},
        (_type, platform: PassPlatform) => {
          if (platform.status) landed.push(platform.status.observedGeneration);
        },
        () => undefined,
      );
      t.after(() => watch.abort());
      await createPlatform(namespace);
      await eventually(
        async () => (await getPlatform(cluster, namespace)).status?.observedGeneration === 2,
        'the status of the new spec (generation 2)',
        DEADLINE_MS,
      );
      await operator.settled();
      assert.equal(interleaved, 1, 'the update came between the read of generation 1 and its status write');
      assert.equal(await reconciles(RECONCILE_RESULT.error), 0, 'a conflict is not a reconcile error');
      assert.ok(!landed.includes(1), `no status computed from generation 1 landed (statuses seen: ${landed.join(', ')})`);
      assert.ok(await reconciles(RECONCILE_RESULT.requeue), 'the refused write requeued the pass');
      assert.equal((await cluster.apps.readNamespacedDeployment({ name: names.api, namespace })).spec?.replicas, 3);
      assert.deepEqual(await platformWarnings(cluster, namespace), []);
    },
  );

  it('a platform changed while its finalizer runs: the release gets 409, is requeued, not failed, and the next pass releases it', async (t) => {
    const metrics = new OperatorMetrics();
    const reconciles = reconcilesCounted(metrics);
    let interleaved = false;
    const { namespace, operator } = await cluster.controllerFor(t, 'release', {
      metrics,
      // Runs after the finalizing pass read the platform, before it releases it: the first time, a
      // real update (a label) lands on the API server in between.
      onPlatformDeleted: async (platform) => {
        if (interleaved) return;
        interleaved = true;
        await cluster.custom.patchNamespacedCustomObject(
          {
            group: API_GROUP,
            version: API_VERSION,
            namespace: platform.metadata.namespace,
            plural: PLURAL,
            name: platform.metadata.name,
            body: { metadata: { labels: { 'team/owner': 'gate-security' } } },
          },
          MERGE,
        );
      },
    });
    await createPlatform(namespace);
    await allChildren(namespace);
    await operator.settled();
    const requeuedBefore = await reconciles(RECONCILE_RESULT.requeue);
    await deletePlatform(namespace);
    assert.ok(interleaved, 'the update came between the read of the deleted platform and its release');
    assert.equal(await reconciles(RECONCILE_RESULT.error), 0, 'a conflict is not a reconcile error');
    assert.ok((await reconciles(RECONCILE_RESULT.requeue)) > requeuedBefore, 'the refused release requeued the pass');
    // The pass records Finalized after its release is written, so the platform can be gone before the
    // event is (a clean-clone CI run listed none): wait for the pass, then for the event.
    await operator.settled();
    const finalized = async () =>
      (await cluster.core.listNamespacedEvent({ namespace })).items.filter((e) => e.reason === 'Finalized').length;
    await eventually(async () => (await finalized()) > 0, 'Finalized recorded', DEADLINE_MS);
    assert.equal(await finalized(), 1, 'Finalized recorded once');
  });

  it('rejects an invalid spec with the schema message', async () => {
    const namespace = await cluster.namespace('invalid');
    await assert.rejects(
      createPlatform(namespace, { api: { minReplicas: 5, maxReplicas: 2 } }),
      (error: { code?: number; body?: string }) => {
        assert.equal(error.code, 422);
        assert.match(String(error.body), /minReplicas must be less than or equal to maxReplicas/);
        return true;
      },
    );
    await assert.rejects(
      createPlatform(namespace, { database: { mode: 'cloud' }, api: { resources: { cpu: 'lots' } } }),
      (error: { code?: number; body?: string }) => {
        assert.equal(error.code, 422);
        assert.match(String(error.body), /spec\.database\.mode: Unsupported value: \\"cloud\\"/);
        assert.match(String(error.body), /spec\.api\.resources\.cpu/);
        return true;
      },
    );
  });
});
