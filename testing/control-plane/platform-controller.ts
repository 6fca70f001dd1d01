/**
 * Test support for the operator on a real control plane: a controller that authenticates as the
 * operator's own ServiceAccount with the chart's RBAC, waits that fail with what the controller
 * logged instead of hanging, and the two parts of a cluster that cannot run here, played openly:
 * a storage provisioner (PersistentVolumes pre-bound to the Redis claims) and CloudNativePG's
 * controller (the status it documents for a healthy Cluster). Everything else — Deployments,
 * ReplicaSets, StatefulSets, Jobs, scheduling, Pods Running/Ready, garbage collection — is done by
 * kube-controller-manager, kube-scheduler and kwok.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { childNames } from '../../cdk8s/platform/names.js';
import type { ControlPlaneClients } from './for-tests.js';
import { operatorKubeConfig, type OperatorIdentityOptions } from './operator-identity.js';
import { eventually } from '../eventually.js';
import { PlatformController, type ControllerOptions } from '../../operator/controller/controller.js';
import { generatePlatformKeys } from '../../operator/controller/platform-keys.js';
import { reconcile } from '../../operator/reconcile/reconcile.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../platform-api/v1alpha1/index.js';

export const DEADLINE_MS = 180_000;
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface TestController {
  controller: PlatformController;
  kubeConfig: KubeConfig;
  /** What the controller logged as warnings or errors (failed reconciles, failed watches). */
  problems: string[];
  /** What it logged as information, as `message` or `message (kind)`, e.g. an expired watch's relist. */
  notes: string[];
  /** Resolves once every cache has listed (`start()`); fails, with `problems`, after the deadline. */
  started: Promise<void>;
  /** Resolves once no reconcile is queued or running; fails, with `problems`, after the deadline. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export type TestControllerOptions = Partial<ControllerOptions> & {
  identity?: OperatorIdentityOptions;
  kubeConfig?: KubeConfig;
  /** Return before every cache has listed (await `started` later). */
  returnEarly?: boolean;
};

/** A PlatformController watching `namespace`, authenticated as the operator's ServiceAccount. */
export async function startTestController(
  cluster: ControlPlaneClients,
  namespace: string,
  options: TestControllerOptions = {},
): Promise<TestController> {
  const kubeConfig = options.kubeConfig ?? (await operatorKubeConfig(cluster, namespace, options.identity));
  const problems: string[] = [];
  const record = (object: object, message: string) => {
    const err = (object as { err?: { message?: string; body?: unknown } }).err;
    problems.push(`${message}: ${err?.message ?? ''} ${err?.body ? JSON.stringify(err.body) : ''}`.trim());
  };
  const notes: string[] = [];
  const note = (object: object, message: string) => {
    const kind = (object as { kind?: string }).kind;
    notes.push(kind ? `${message} (${kind})` : message);
  };
  const controller = new PlatformController({
    resyncMs: 3_600_000,
    ...options,
    kubeConfig,
    namespace,
    log: { info: note, warn: record, error: record },
  });
  const started = withDeadline(controller.start(), 'the controller to list every kind', problems);
  if (options.returnEarly) started.catch(() => undefined);
  else await started;
  return {
    controller,
    kubeConfig,
    problems,
    notes,
    started,
    settled: () => withDeadline(controller.idle(), 'the controller to settle', problems),
    stop: () => controller.stop(),
  };
}

async function withDeadline(promise: Promise<void>, what: string, problems: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`never happened: ${what}; the controller logged: ${problems.slice(-5).join(' | ')}`)),
      DEADLINE_MS,
    );
  });
  try {
    await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function getPlatform(cluster: ControlPlaneClients, namespace: string, name = 'campus'): Promise<PassPlatform> {
  return cluster.custom.getNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    name,
  }) as Promise<PassPlatform>;
}

/** Creates a PassPlatform from `manifest` in `namespace`; returns it as the API server stored it. */
export async function createPlatform(cluster: ControlPlaneClients, namespace: string, manifest: object): Promise<PassPlatform> {
  return (await cluster.custom.createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    body: manifest,
  })) as PassPlatform;
}

/**
 * Waits until every child a first reconcile of the platform wants exists on the API server;
 * returns them as read back (with the owner references the controller gave them).
 */
export async function waitForEveryChild(cluster: ControlPlaneClients, namespace: string, name = 'campus'): Promise<KubernetesObject[]> {
  const platform = await getPlatform(cluster, namespace, name);
  const wanted = reconcile({ platform, observed: { children: [] }, now: new Date(), generateKeys: generatePlatformKeys }).children ?? [];
  if (wanted.length === 0) throw new Error(`reconcile wants no children of ${namespace}/${name}: ${JSON.stringify(platform.status)}`);
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

export function patchPlatformSpec(cluster: ControlPlaneClients, namespace: string, spec: Record<string, unknown>, name = 'campus') {
  return cluster.custom.patchNamespacedCustomObject(
    { group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL, name, body: { spec } },
    MERGE,
  );
}

/**
 * Plays a storage provisioner: one PersistentVolume per claim of the platform's Redis StatefulSet,
 * pre-bound to that claim (so files sharing the control plane never take each other's), which
 * kube-controller-manager's binder binds and kube-scheduler then schedules the Redis pods on.
 */
export async function provisionRedisVolumes(cluster: ControlPlaneClients, namespace: string, platform = 'campus'): Promise<void> {
  const statefulSet = await eventually(
    () => cluster.apps.readNamespacedStatefulSet({ name: childNames(platform).redis, namespace }),
    'the Redis StatefulSet',
    DEADLINE_MS,
  );
  for (const template of statefulSet.spec?.volumeClaimTemplates ?? []) {
    for (let i = 0; i < (statefulSet.spec?.replicas ?? 0); i++) {
      const claim = `${template.metadata?.name}-${statefulSet.metadata?.name}-${i}`;
      await cluster.core.createPersistentVolume({
        body: {
          metadata: { name: `${namespace}-${claim}`, labels: { 'passplatform.io/test': 'true' } },
          spec: {
            capacity: { storage: String(template.spec?.resources?.requests?.storage) },
            accessModes: template.spec?.accessModes ?? ['ReadWriteOnce'],
            hostPath: { path: `/tmp/kwok-volumes/${namespace}/${claim}` },
            claimRef: { namespace, name: claim },
            persistentVolumeReclaimPolicy: 'Delete',
          },
        },
      });
    }
  }
}

/**
 * Plays CloudNativePG's controller, which cannot run here (its instances need a real kubelet):
 * writes the status it documents for a healthy Cluster with every instance ready.
 */
export async function reportDatabaseHealthy(cluster: ControlPlaneClients, namespace: string, platform = 'campus'): Promise<void> {
  const name = childNames(platform).database;
  const database = (await eventually(
    () => cluster.custom.getNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'clusters', name }),
    'the CNPG Cluster',
    DEADLINE_MS,
  )) as KubernetesObject & { spec: { instances: number } };
  await cluster.custom.patchNamespacedCustomObjectStatus(
    {
      group: 'postgresql.cnpg.io',
      version: 'v1',
      namespace,
      plural: 'clusters',
      name,
      body: { status: { instances: database.spec.instances, readyInstances: database.spec.instances, phase: 'Cluster in healthy state' } },
    },
    MERGE,
  );
}

/** The Warning events the operator recorded on PassPlatforms in `namespace`, as `reason: message`. */
export async function platformWarnings(cluster: ControlPlaneClients, namespace: string): Promise<string[]> {
  const events = await cluster.core.listNamespacedEvent({ namespace });
  return events.items
    .filter((e) => e.type === 'Warning' && e.involvedObject.kind === 'PassPlatform')
    .map((e) => `${e.reason}: ${e.message}`);
}
