/** The operator's own Prometheus metrics, named in core/metric-names.ts and labelled as core/metric-labels.ts says. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { labelNamesOf, type LabelOf, type ReconcileResult } from '../../core/metric-labels.js';
import { METRIC } from '../../core/metric-names.js';
import { createRegistry } from '../../core/metrics.js';
import type { Component } from '../../platform-api/v1alpha1/index.js';

export class OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<LabelOf<'reconcileTotal'>>;
  readonly reconcileDuration: Histogram<LabelOf<'reconcileDuration'>>;
  readonly isLeader: Gauge;
  readonly appliedReplicas: Gauge<LabelOf<'appliedReplicas'>>;

  constructor(registry: Registry = createRegistry('operator')) {
    this.registry = registry;
    this.reconciles = new Counter({
      name: METRIC.reconcileTotal,
      help: 'PassPlatform reconciles, by platform and result.',
      labelNames: labelNamesOf('reconcileTotal'),
      registers: [registry],
    });
    this.reconcileDuration = new Histogram({
      name: METRIC.reconcileDuration,
      help: 'Time one PassPlatform reconcile took, including its API calls.',
      labelNames: labelNamesOf('reconcileDuration'),
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.isLeader = new Gauge({
      name: METRIC.operatorIsLeader,
      help: '1 while this operator replica holds the leader Lease.',
      registers: [registry],
    });
    // The autoscaler's wish is its own series (AutoscalerMetrics); this one is what was applied.
    this.appliedReplicas = new Gauge({
      name: METRIC.appliedReplicas,
      help: 'Replicas the operator applied for a platform component.',
      labelNames: labelNamesOf('appliedReplicas'),
      registers: [registry],
    });
  }

  /**
   * Starts timing one reconcile of a platform; the returned function records it with its result.
   * Both series carry the platform, so an alert or panel can say which platform fails.
   */
  startReconcile(namespace: string, platform: string): (result: ReconcileResult) => void {
    const labels = { platform, platform_namespace: namespace };
    const stop = this.reconcileDuration.startTimer(labels);
    return (result) => {
      stop({ result });
      this.reconciles.inc({ ...labels, result });
    };
  }

  setReplicas(namespace: string, platform: string, replicas: Partial<Record<Component, number>>) {
    for (const [component, value] of Object.entries(replicas))
      this.appliedReplicas.set({ platform, platform_namespace: namespace, component }, value);
  }
}
