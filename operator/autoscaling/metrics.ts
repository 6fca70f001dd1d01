/**
 * The autoscaler's own metrics: desired replicas per component, decisions by direction, and when
 * it last ran. A thin wrapper around the pure policy; the policy itself never touches a registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import { labelNamesOf } from '../../core/metric-labels.js';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale } from '../autoscaler/index.js';
import type { AutoscalerResult, AutoscalerState, PlatformSignals } from '../autoscaler/index.js';

/** Labels the per-platform series the way the alerts select them (alerts/context.ts `platformMatchers`). */
export interface PlatformLabels {
  namespace: string;
  name: string;
}

export class AutoscalerMetrics {
  private readonly desired: Gauge<'platform' | 'platform_namespace' | 'component'>;
  private readonly decisions: Counter<'platform' | 'platform_namespace' | 'component' | 'direction'>;
  private readonly lastRun: Gauge<'platform' | 'platform_namespace'>;

  constructor(registry: Registry) {
    this.desired = new Gauge({
      name: METRIC.desiredReplicas,
      help: 'Replicas the autoscaler wants per component.',
      labelNames: labelNamesOf('desiredReplicas'),
      registers: [registry],
    });
    this.decisions = new Counter({
      name: METRIC.scalingDecisions,
      help: 'Replica changes the autoscaler decided, by direction.',
      labelNames: labelNamesOf('scalingDecisions'),
      registers: [registry],
    });
    this.lastRun = new Gauge({
      name: METRIC.autoscalerLastRun,
      help: 'Unix time of the last autoscaler run, seconds.',
      labelNames: labelNamesOf('autoscalerLastRun'),
      registers: [registry],
    });
  }

  record(ref: PlatformLabels, result: AutoscalerResult, now: number): void {
    const platform = { platform: ref.name, platform_namespace: ref.namespace };
    for (const [component, replicas] of Object.entries(result.replicas)) {
      this.desired.set({ ...platform, component }, replicas);
      // Present at 0 from the first run, so increase() counts the first decision and panels have a series.
      for (const direction of ['up', 'down']) this.decisions.inc({ ...platform, component, direction }, 0);
    }
    for (const decision of result.decisions) {
      // A refusal that holds the count is a decision without a direction.
      if (decision.to === decision.from) continue;
      const direction = decision.to > decision.from ? 'up' : 'down';
      this.decisions.inc({ ...platform, component: decision.component, direction });
    }
    this.lastRun.set(platform, now / 1000);
  }

  /** Runs the policy and records what it decided. */
  run(
    platform: PlatformLabels,
    spec: PassPlatformSpec,
    state: AutoscalerState | undefined,
    signals: PlatformSignals,
    now: number,
  ): AutoscalerResult {
    const result = autoscale(spec, state, signals, now);
    this.record(platform, result, now);
    return result;
  }
}
