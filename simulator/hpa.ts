/**
 * The Kubernetes HorizontalPodAutoscaler's replica calculation and default behaviour, as the
 * controller implements them (pkg/controller/podautoscaler: replica_calculator.go and
 * horizontal.go), for the baselines:
 * - sync every 15 s; no change while |usage/target − 1| ≤ 0.1 (tolerance);
 * - CPU of pods not yet ready, or ready so recently that their sample predates readiness (pods in
 *   their first minutes, --horizontal-pod-autoscaler-cpu-initialization-period), is set aside; when
 *   scaling up those pods count as 0 % and the scale-up is dropped if that undoes it;
 * - default behaviour: scale-up max(4 pods, 100 %) per 15 s with no stabilisation window;
 *   scale-down 100 % per 15 s after a 300 s window (the highest recommendation of the last 300 s).
 */
import type { Pod } from './cluster.js';

export const HPA_SYNC_SECONDS = 15;
export const HPA_TOLERANCE = 0.1;
const CPU_INITIALIZATION_PERIOD_MS = 300_000;
/** metrics-server's window: a sample taken within it of readiness is from before the pod was ready. */
const METRIC_WINDOW_MS = 30_000;
const SCALE_DOWN_WINDOW_MS = 300_000;
const POLICY_PERIOD_MS = 15_000;

interface ScaleEvent {
  at: number;
  change: number;
}

/** Replicas a CPU utilisation target asks for, with the controller's readiness rules. */
export function cpuRecommendation(
  pods: readonly Pick<Pod, 'startedAt' | 'readyAt'>[],
  utilization: number,
  target: number,
  current: number,
  now: number,
): number {
  let ready = 0;
  let unready = 0;
  for (const pod of pods) {
    const initializing = now - pod.startedAt < CPU_INITIALIZATION_PERIOD_MS;
    const notReady = pod.readyAt > now || (initializing && now - pod.readyAt < METRIC_WINDOW_MS);
    if (notReady) unready++;
    else ready++;
  }
  if (ready === 0) return current;
  const ratio = utilization / target;
  if (unready === 0 || ratio < 1) {
    if (Math.abs(ratio - 1) <= HPA_TOLERANCE) return current;
    return Math.ceil(ratio * ready);
  }
  // Scaling up with pods set aside: count them at 0 % and re-check.
  const adjusted = (utilization * ready) / (target * (ready + unready));
  if (Math.abs(adjusted - 1) <= HPA_TOLERANCE || adjusted < 1) return current;
  return Math.ceil(adjusted * (ready + unready));
}

/** Replicas an AverageValue target on an external metric asks for (how KEDA's triggers reach the HPA). */
export function averageValueRecommendation(metricTotal: number, targetPerPod: number, current: number): number {
  const ratio = metricTotal / (targetPerPod * Math.max(1, current));
  if (Math.abs(ratio - 1) <= HPA_TOLERANCE) return current;
  return Math.ceil(metricTotal / targetPerPod);
}

/** The behaviour part: stabilisation windows and rate policies, per scale target. */
export class HpaBehavior {
  private recommendations: { at: number; replicas: number }[] = [];
  private events: ScaleEvent[] = [];

  constructor(
    private readonly minReplicas: number,
    private readonly maxReplicas: number,
    /** behavior.scaleDown.stabilizationWindowSeconds; 300 by default. */
    scaleDownWindowSeconds = SCALE_DOWN_WINDOW_MS / 1000,
  ) {
    this.scaleDownWindowMs = scaleDownWindowSeconds * 1000;
  }

  private readonly scaleDownWindowMs: number;

  next(current: number, recommended: number, now: number): number {
    const desired = Math.min(this.maxReplicas, Math.max(this.minReplicas, recommended));
    this.recommendations = this.recommendations.filter((r) => r.at > now - this.scaleDownWindowMs);
    let down = desired;
    for (const r of this.recommendations) down = Math.max(down, r.replicas);
    this.recommendations.push({ at: now, replicas: desired });
    // Scale-up window is 0: the up recommendation is the current one.
    let replicas = current;
    if (replicas < desired) replicas = desired;
    if (replicas > down) replicas = down;

    this.events = this.events.filter((e) => e.at > now - POLICY_PERIOD_MS);
    if (replicas > current) {
      const added = this.events.reduce((s, e) => s + Math.max(0, e.change), 0);
      const periodStart = current - added;
      const limit = Math.max(periodStart + 4, Math.ceil(periodStart * 2));
      replicas = Math.min(replicas, limit);
    }
    // Scale-down policy is 100 % per period: no limit below the window's recommendation.
    replicas = Math.min(this.maxReplicas, Math.max(this.minReplicas, replicas));
    if (replicas !== current) this.events.push({ at: now, change: replicas - current });
    return replicas;
  }
}
