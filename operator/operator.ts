/**
 * The operator's parts while it leads, wired together: the controller (reconcile), the autoscaling
 * loop that feeds it replica wishes, and cost tracking that records what the reconcile applied.
 * `main.ts` runs this under leader election; tests run it directly against the test API server.
 */
import type Router from '@koa/router';
import type { KubeConfig } from '@kubernetes/client-node';
import { AutoscalerMetrics } from './autoscaling/metrics.js';
import { AutoscalingLoop } from './autoscaling/loop.js';
import { PlatformController, type Logger } from './controller/controller.js';
import { CostTracker } from './cost/tracking.js';
import { observedUsageOf, prometheusObservedUsage } from './cost/io/platform-usage.js';
import { costReportRouter } from './cost/http.js';
import { CostMetrics } from './cost/metrics.js';
import { kubernetesCostSource } from './cost/service.js';
import { OperatorMetrics } from './controller/metrics.js';
import type { MonitoringSpec } from '../platform-api/v1alpha1/index.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace only; all namespaces when unset. */
  namespace?: string;
  metrics?: OperatorMetrics;
  log?: Logger;
  /** Window of the autoscaler's rate() and quantile queries (default 1m). */
  signalWindow?: string;
  /** The install's defaults for spec.monitoring (chart values monitoring.*). */
  monitoringDefaults?: MonitoringSpec;
  resyncMs?: number;
  costRefreshMs?: number;
  clock?: () => number;
}

export class PassOperator {
  readonly metrics: OperatorMetrics;
  readonly controller: PlatformController;
  readonly autoscaling: AutoscalingLoop;
  readonly cost: CostTracker;
  private running = false;

  constructor(private readonly options: OperatorOptions) {
    const { kubeConfig, log, clock } = options;
    this.metrics = options.metrics ?? new OperatorMetrics();
    const platforms = () => this.controller.listPlatforms();
    this.autoscaling = new AutoscalingLoop({
      kubeConfig,
      platforms,
      onChange: (p) => this.controller.enqueue(p.metadata.namespace, p.metadata.name),
      metrics: new AutoscalerMetrics(this.metrics.registry),
      log,
      clock,
      signalWindow: options.signalWindow,
    });
    this.cost = new CostTracker({
      kubeConfig,
      platforms,
      metrics: new CostMetrics(this.metrics.registry),
      observe: observedUsageOf,
      log,
      clock,
      refreshMs: options.costRefreshMs,
    });
    this.controller = new PlatformController({
      kubeConfig,
      namespace: options.namespace,
      metrics: this.metrics,
      log,
      resyncMs: options.resyncMs,
      now: clock ? () => new Date(clock()) : undefined,
      scaling: (p) => this.autoscaling.scaling(p),
      slaViolations: (p) => this.autoscaling.slaViolations(p),
      monitoringDefaults: options.monitoringDefaults,
      onApplied: (p, replicas) => this.cost.recordObserved(p, replicas),
      onPlatformDeleted: async (p) => {
        this.autoscaling.forget(p);
        this.cost.forget(p);
      },
    });
  }

  get synced(): boolean {
    return this.controller.synced;
  }

  /** Starts while leading: the watch cache first, then the loops that read it. */
  async start(): Promise<void> {
    this.running = true;
    await this.controller.start();
    if (!this.running) return;
    this.autoscaling.start();
    this.cost.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.autoscaling.stop();
    await this.cost.stop();
    await this.controller.stop();
  }

  /** HTTP routes beside /metrics: the cost reports, read from the cluster and Prometheus (so followers serve them too). */
  routers(): Router[] {
    const { kubeConfig, clock } = this.options;
    return [
      costReportRouter({
        source: kubernetesCostSource(kubeConfig),
        observed: prometheusObservedUsage,
        ...(clock ? { clock } : {}),
      }),
    ];
  }
}
