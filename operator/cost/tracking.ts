/**
 * The operator's side of cost accounting: after every successful reconcile the replicas applied
 * and the spec's prices go into the platform's durable history (`<name>-cost-history`, owned by
 * the PassPlatform), and on a timer the current month's report sets the cost gauges (spend rate,
 * month-to-date, projection, budget) that the budget alert reads.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { configMapPersistence } from './io/configmap-persistence.js';
import type { HistoryDocument } from './history-document.js';
import { ReplicaHistoryStore } from './history-store.js';
import type { CostMetrics } from './metrics.js';
import { monthOf, type CostReportInput } from './report.js';
import { reportFromData } from './service.js';
import type { Logger } from '../controller/controller.js';
import { platformKey, platformOwnerReference } from '../reconcile/platform-identity.js';
import type { Component, PassPlatform } from '../../platform-api/v1alpha1/index.js';

export interface CostTrackerOptions {
  kubeConfig: KubeConfig;
  platforms: () => readonly PassPlatform[];
  metrics?: CostMetrics;
  log?: Logger;
  clock?: () => number;
  /** How often the gauges are recomputed, ms (default 60 s). */
  refreshMs?: number;
  /** The containers' usage (and API figures) in the month so far, for the allocation; without it lines are priced by requests. */
  observe?: (platform: PassPlatform, period: CostReportInput['period'], now: number) => Promise<Pick<CostReportInput, 'measured'>>;
}

interface TrackedPlatform {
  uid: string;
  store: ReplicaHistoryStore;
  /** The history as last written or read, so a gauge refresh needs no extra read. */
  history?: HistoryDocument;
}

const refOf = (platform: PassPlatform) => ({ namespace: platform.metadata.namespace, name: platform.metadata.name });

export class CostTracker {
  private readonly tracked = new Map<string, TrackedPlatform>();
  private readonly core: CoreV1Api;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: CostTrackerOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 60_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Stores what runs now; returns once it is durable (the reconcile retries if this throws). */
  async recordObserved(platform: PassPlatform, replicas: Partial<Record<Component, number>>): Promise<void> {
    const entry = this.entryFor(platform);
    entry.history = await entry.store.recordObserved(replicas, platform.spec.cost);
  }

  /** Recomputes the gauges of every platform from its history; one failing platform does not stop the others. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const now = this.clock();
      for (const platform of this.options.platforms()) {
        if (platform.metadata.deletionTimestamp) continue;
        try {
          const entry = this.entryFor(platform);
          entry.history ??= await entry.store.load();
          const period = { month: monthOf(now) };
          const { measured } = (await this.options.observe?.(platform, period, now).catch(() => undefined)) ?? {};
          const report = reportFromData(
            { sizing: platform.spec, prices: platform.spec.cost, decisions: platform.status?.decisions ?? [], history: entry.history },
            { period, now, platform: platformKey(platform.metadata), ...(measured ? { measured } : {}) },
          );
          this.options.metrics?.update(refOf(platform), report);
        } catch (err) {
          this.options.log?.warn({ platform: platformKey(platform.metadata), err }, 'could not update the cost metrics');
        }
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** A deleted platform: its gauges go (its history goes with it, by owner reference). */
  forget(platform: PassPlatform): void {
    this.tracked.delete(platformKey(platform.metadata));
    this.options.metrics?.remove(refOf(platform));
  }

  private entryFor(platform: PassPlatform): TrackedPlatform {
    const existing = this.tracked.get(platformKey(platform.metadata));
    if (existing?.uid === platform.metadata.uid) return existing;
    const persistence = configMapPersistence({
      api: this.core,
      namespace: platform.metadata.namespace,
      platformName: platform.metadata.name,
      owner: platformOwnerReference(platform),
    });
    const entry: TrackedPlatform = { uid: platform.metadata.uid, store: new ReplicaHistoryStore(persistence, { clock: this.clock }) };
    this.tracked.set(platformKey(platform.metadata), entry);
    return entry;
  }
}
