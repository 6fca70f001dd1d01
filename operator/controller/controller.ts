/**
 * The Kubernetes side of the operator: informers on PassPlatforms and their children feed a work
 * queue; each key is reconciled by the pure `reconcile` (handed the clock and the key generator),
 * then in three steps: `apply` (children server-side applied, strays pruned), `writeStatus` (Events
 * and status) and, on deletion, `finalize`. A reconcile returns a requeue intent to the queue: a
 * conflict (409: an object changed since it was read) runs it again without counting as an error.
 */
import { RECONCILE_RESULT } from '../../core/metric-labels.js';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { MANAGED_SELECTOR } from '../../cdk8s/platform/labels.js';
import { childNames } from '../../cdk8s/platform/names.js';
import type { SlaClass } from '../../core/sla.js';
import { applyObject, deleteObject, strayChildren } from './kube/apply.js';
import { CHILD_KINDS } from '../../cdk8s/child-kinds.js';
import { isConflict, isNotFound } from './kube/errors.js';
import { EventRecorder } from './kube/events.js';
import { ResilientInformer } from './kube/informers.js';
import type { OperatorMetrics } from './metrics.js';
import { reconcile, type ReconcileResult, type ScalingInput } from '../reconcile/reconcile.js';
import {
  API_GROUP,
  API_VERSION,
  KIND,
  PLURAL,
  type Component,
  type MonitoringSpec,
  type PassPlatform,
} from '../../platform-api/v1alpha1/index.js';
import { platformKey } from '../reconcile/platform-identity.js';
import { generatePlatformKeys } from './platform-keys.js';
import { WorkQueue, type Requeue } from './workqueue.js';

export const FINALIZER = 'passplatform.io/finalizer';
/** Logged (info, with the kind) when a watch got 410 Gone and its informer relists. */
export const WATCH_EXPIRED = 'watch expired (410 Gone: its resource version was compacted); relisting';

export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace only; all namespaces when unset. */
  namespace?: string;
  /** The autoscaler's current wishes for a platform, when it has any. */
  scaling?: (platform: PassPlatform) => ScalingInput | undefined;
  slaViolations?: (platform: PassPlatform) => SlaClass[] | undefined;
  /** Runs in the finalizer, before the children go (e.g. closing the cost history). */
  onPlatformDeleted?: (platform: PassPlatform) => Promise<void>;
  /** Runs after every child was applied, with the replicas applied (e.g. recording the cost history). */
  onApplied?: (platform: PassPlatform, replicas: Partial<Record<Component, number>>) => Promise<void>;
  metrics?: OperatorMetrics;
  log?: Logger;
  resyncMs?: number;
  now?: () => Date;
  concurrency?: number;
  /** The install's defaults for spec.monitoring (chart values monitoring.*). */
  monitoringDefaults?: MonitoringSpec;
}

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const platformApiVersion = `${API_GROUP}/${API_VERSION}`;
const REQUEUE: Requeue = { requeue: true };

/** The finalizer deletes workloads (stage 0) before the data stores they use (2); other kinds in between. */
const DELETION_STAGE: Readonly<Record<string, number>> = { Deployment: 0, Job: 0, Cluster: 2, StatefulSet: 2 };
const deletionStage = (child: KubernetesObject) => DELETION_STAGE[child.kind ?? ''] ?? 1;

/** How a guarded write of the platform went; `conflict` (409: changed since read) requeues the pass. */
type WriteOutcome = 'written' | 'unchanged' | 'gone' | 'conflict';

/** What applying the children met: failures fail the reconcile, conflicts only requeue it. */
interface ApplyOutcome {
  failures: string[];
  conflicts: string[];
}

export class PlatformController {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly events: EventRecorder;
  private readonly platforms: ResilientInformer<PassPlatform & KubernetesObject>;
  private readonly children: ResilientInformer<KubernetesObject>[];
  private readonly queue: WorkQueue;
  private resync: NodeJS.Timeout | undefined;
  private started = false;
  private cachesFilled = false;

  constructor(private readonly options: ControllerOptions) {
    const { kubeConfig, namespace } = options;
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.events = new EventRecorder(this.core, options.now);
    this.queue = new WorkQueue((key) => this.reconcileKey(key), {
      concurrency: options.concurrency ?? 2,
      onError: (key, error, retryInMs) => options.log?.warn({ key, err: error, retryInMs }, 'reconcile failed; will retry'),
    });
    const onInformerError = (kind: string) => (error: unknown, restartInMs: number) =>
      options.log?.warn({ kind, err: error, restartInMs }, 'watch failed; restarting');
    // Routine after a long disconnection (etcd compacts every 5 minutes), but worth knowing: the
    // cache is rebuilt from a fresh list.
    const onWatchExpired = (kind: string) => () => options.log?.info({ kind }, WATCH_EXPIRED);
    this.platforms = new ResilientInformer<PassPlatform & KubernetesObject>(
      kubeConfig,
      this.objects,
      { apiVersion: platformApiVersion, kind: KIND, plural: PLURAL },
      {
        onChange: (p) => this.enqueue(p.metadata.namespace, p.metadata.name),
        onError: onInformerError(KIND),
        onExpired: onWatchExpired(KIND),
      },
      { namespace },
    );
    this.children = CHILD_KINDS.map(
      (kind) =>
        new ResilientInformer<KubernetesObject>(
          kubeConfig,
          this.objects,
          kind,
          { onChange: (o) => this.enqueueOwner(o), onError: onInformerError(kind.kind), onExpired: onWatchExpired(kind.kind) },
          {
            namespace,
            labelSelector: MANAGED_SELECTOR,
          },
        ),
    );
  }

  /** Starts watching; resolves once every cache is filled and every platform is queued. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all(
      [this.platforms, ...this.children].map((i) =>
        i.start().catch((err: unknown) => this.options.log?.warn({ kind: i.kind.kind, err }, 'informer start failed')),
      ),
    );
    await this.allSynced();
    this.cachesFilled = this.started;
    for (const p of this.platforms.list()) this.enqueue(p.metadata.namespace, p.metadata.name);
    this.resync = setInterval(() => {
      for (const p of this.platforms.list()) this.enqueue(p.metadata.namespace, p.metadata.name);
    }, this.options.resyncMs ?? 300_000);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.cachesFilled = false;
    clearInterval(this.resync);
    this.queue.stop();
    await Promise.all([this.platforms, ...this.children].map((i) => i.stop()));
  }

  /** True once started and every informer's cache was filled by its first list. */
  get synced(): boolean {
    return this.cachesFilled;
  }

  /** The PassPlatforms in the watch cache. */
  listPlatforms(): readonly PassPlatform[] {
    return this.platforms.list();
  }

  enqueue(namespace: string, name: string): void {
    this.queue.add(platformKey({ namespace, name }));
  }

  /** Resolves when no reconcile is queued, running or waiting to retry. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private enqueueOwner(child: KubernetesObject) {
    const owner = child.metadata?.ownerReferences?.find((o) => o.controller && o.kind === KIND && o.apiVersion === platformApiVersion);
    if (owner && child.metadata?.namespace) this.enqueue(child.metadata.namespace, owner.name);
  }

  private ownedChildren(platform: PassPlatform): KubernetesObject[] {
    return this.children.flatMap((informer) =>
      informer.list(platform.metadata.namespace).filter((c) => c.metadata?.ownerReferences?.some((o) => o.uid === platform.metadata.uid)),
    );
  }

  /**
   * Every cache filled. A reconcile on a cache that has not listed the children yet would take
   * them for missing: new keys for every pass and token, replicas back to the minimum.
   */
  private allSynced(): Promise<unknown> {
    return Promise.all([this.platforms, ...this.children].map((i) => i.synced()));
  }

  private async reconcileKey(key: string): Promise<Requeue | undefined> {
    await this.allSynced();
    const [namespace, name] = key.split('/') as [string, string];
    const platform = this.platforms.get(name, namespace);
    if (!platform) {
      this.queue.forget(key);
      return undefined;
    }
    const finished = this.options.metrics?.startReconcile(namespace, name);
    try {
      const outcome = await this.reconcilePlatform(platform);
      finished?.(outcome?.requeue ? RECONCILE_RESULT.requeue : RECONCILE_RESULT.success);
      return outcome;
    } catch (error) {
      finished?.(RECONCILE_RESULT.error);
      throw error;
    }
  }

  private async reconcilePlatform(platform: PassPlatform): Promise<Requeue | undefined> {
    if (platform.metadata.deletionTimestamp) return this.finalize(platform);
    if (!platform.metadata.finalizers?.includes(FINALIZER)) {
      // The finalizer goes on first (guarded by resourceVersion), so no child exists without it;
      // the patch's own watch event queues the next pass.
      const added = await this.patchPlatform(platform, {
        metadata: { finalizers: [...(platform.metadata.finalizers ?? []), FINALIZER], resourceVersion: platform.metadata.resourceVersion },
      });
      return added === 'conflict' ? REQUEUE : undefined;
    }
    const observed = await this.withKeysSecret(platform, this.ownedChildren(platform));
    const result = reconcile({
      platform,
      observed: { children: observed },
      scaling: this.options.scaling?.(platform),
      slaViolations: this.options.slaViolations?.(platform),
      monitoringDefaults: this.options.monitoringDefaults,
      now: (this.options.now ?? (() => new Date()))(),
      generateKeys: generatePlatformKeys,
    });
    const applied = result.children ? await this.apply(platform, observed, result) : { failures: [], conflicts: [] };
    const status = await this.writeStatus(platform, result, applied.failures);
    if (applied.failures.length) throw new Error(`could not apply ${applied.failures.length} children: ${applied.failures.join('; ')}`);
    const conflicts = status === 'conflict' ? [...applied.conflicts, `${KIND}/${platform.metadata.name} status`] : applied.conflicts;
    if (conflicts.length === 0) return undefined;
    this.options.log?.info({ platform: platformKey(platform.metadata), conflicts }, 'changed since read (409); requeued');
    return REQUEUE;
  }

  /**
   * Server-side applies every wanted child; only when all went through, prunes the strays and
   * reports the replicas applied (a partial apply must not delete, nor be recorded as the cost).
   */
  private async apply(platform: PassPlatform, observed: KubernetesObject[], result: ReconcileResult): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { failures: [], conflicts: [] };
    const wanted = result.children ?? [];
    for (const child of wanted) {
      try {
        await applyObject(this.objects, child);
      } catch (error) {
        (isConflict(error) ? outcome.conflicts : outcome.failures).push(
          `${child.kind}/${child.metadata?.name}: ${(error as Error).message}`,
        );
      }
    }
    const complete = outcome.failures.length === 0 && outcome.conflicts.length === 0;
    if (complete) for (const stray of strayChildren(observed, wanted)) await deleteObject(this.objects, stray);
    const { replicas } = result.status;
    if (replicas) {
      this.options.metrics?.setReplicas(platform.metadata.namespace, platform.metadata.name, replicas);
      if (complete) await this.options.onApplied?.(platform, replicas);
    }
    return outcome;
  }

  /**
   * Records reconcile's Events (and the apply failures), then writes the status when it changed.
   * The write carries the resourceVersion this pass read: when the platform changed since (a new
   * spec, another writer), the API server refuses it with 409, so a status computed from what is
   * no longer the spec never lands; the pass is requeued and computes it again from the new one.
   */
  private async writeStatus(platform: PassPlatform, result: ReconcileResult, failures: string[]): Promise<WriteOutcome> {
    for (const event of result.events) await this.recordEvent(platform, event.type, event.reason, event.message);
    if (failures.length) await this.recordEvent(platform, 'Warning', 'ApplyFailed', failures.join('; '));
    if (isDeepStrictEqual(platform.status, result.status)) return 'unchanged';
    return this.patchPlatform(
      platform,
      { metadata: { resourceVersion: platform.metadata.resourceVersion }, status: result.status },
      'status',
    );
  }

  /**
   * The keys Secret as the API server has it, when the cache lacks it: keys are generated only
   * when the server says there are none, never because a cache missed an object.
   */
  private async withKeysSecret(platform: PassPlatform, observed: KubernetesObject[]): Promise<KubernetesObject[]> {
    const name = childNames(platform.metadata.name).keys;
    if (observed.some((c) => c.kind === 'Secret' && c.metadata?.name === name)) return observed;
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: platform.metadata.namespace });
      return [...observed, { ...secret, apiVersion: 'v1', kind: 'Secret' }];
    } catch (error) {
      if (isNotFound(error)) return observed;
      throw error;
    }
  }

  private async finalize(platform: PassPlatform): Promise<Requeue | undefined> {
    if (!platform.metadata.finalizers?.includes(FINALIZER)) return undefined;
    await this.options.onPlatformDeleted?.(platform);
    const children = this.ownedChildren(platform).sort((a, b) => deletionStage(a) - deletionStage(b));
    for (const child of children) await deleteObject(this.objects, child);
    // Guarded by resourceVersion: a second pass over a stale copy (the cache has not seen the
    // release yet) gets a conflict (requeued) or not-found, and records nothing.
    const released = await this.patchPlatform(platform, {
      metadata: {
        finalizers: platform.metadata.finalizers.filter((f) => f !== FINALIZER),
        resourceVersion: platform.metadata.resourceVersion,
      },
    });
    if (released === 'written') await this.recordEvent(platform, 'Normal', 'Finalized', 'children deleted; released the PassPlatform');
    return released === 'conflict' ? REQUEUE : undefined;
  }

  /**
   * Merge-patches the platform (or its status subresource): `gone` when it no longer exists,
   * `conflict` when the body carries a resourceVersion and the platform changed since.
   */
  private async patchPlatform(platform: PassPlatform, body: object, subresource?: 'status'): Promise<WriteOutcome> {
    const request = {
      group: API_GROUP,
      version: API_VERSION,
      namespace: platform.metadata.namespace,
      plural: PLURAL,
      name: platform.metadata.name,
      body,
    };
    try {
      if (subresource === 'status') await this.custom.patchNamespacedCustomObjectStatus(request, MERGE);
      else await this.custom.patchNamespacedCustomObject(request, MERGE);
      return 'written';
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      if (isConflict(error)) return 'conflict';
      throw error;
    }
  }

  private async recordEvent(platform: PassPlatform, type: 'Normal' | 'Warning', reason: string, message: string) {
    try {
      await this.events.record(platform, { type, reason, message });
    } catch (error) {
      // An Event is a courtesy; failing to write one must not fail the reconcile.
      this.options.log?.warn({ err: error, reason }, 'could not record event');
    }
  }
}
