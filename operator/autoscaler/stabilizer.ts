/**
 * Turns a component's raw need into the replica count to set: up at once when current is below
 * the bare need (or the SLA is missed), to the need with headroom, within a per-step limit; down only to the highest need of the whole stabilisation window and only past a
 * deadband, never outside the spec's min/max, and never down when the need is unknown or the
 * SLA is being missed right now.
 */
import type { ReplicaRange } from '../../platform-api/v1alpha1/index.js';
import type { ComponentTuning } from './tuning.js';
import { POLICY } from './tuning.js';
import type { ComponentMemory, Need, Recommendation } from './types.js';

export interface Stabilized {
  replicas: number;
  memory: ComponentMemory;
  /** Why the count differs from the need, when it does. */
  note?: string;
}

export function clampToRange(replicas: number, range: ReplicaRange): number {
  return Math.min(range.maxReplicas, Math.max(range.minReplicas, replicas));
}

/**
 * Most recommendations a window keeps. A steady decline of one replica per run over a long window
 * would otherwise keep one per run, and the stored state (state-codec.ts) must stay bounded.
 */
export const MAX_WINDOW_RECOMMENDATIONS = 16;

/**
 * Appends a recommendation and drops those it dominates (earlier and no higher): they leave the
 * window before it does and can never be its highest again. What is left descends in replicas,
 * so the list stays as short as the number of distinct levels, not the window's length. Past
 * MAX_WINDOW_RECOMMENDATIONS, the two neighbours closest in replicas merge into one holding the
 * higher count until the later one's time: the window's highest is then never lower than it
 * would have been, so bounding the list can only delay a scale-down, never hasten it.
 */
export function keepWindowMaxima(recommendations: readonly Recommendation[], latest: Recommendation): Recommendation[] {
  const kept = recommendations.filter((r) => r.replicas > latest.replicas);
  kept.push(latest);
  while (kept.length > MAX_WINDOW_RECOMMENDATIONS) {
    let closest = 0;
    for (let i = 1; i < kept.length - 1; i++) {
      if (gap(kept, i) < gap(kept, closest)) closest = i;
    }
    const [higher, later] = [kept[closest], kept[closest + 1]] as [Recommendation, Recommendation];
    kept.splice(closest, 2, { at: later.at, replicas: higher.replicas });
  }
  return kept;
}

const gap = (list: readonly Recommendation[], i: number) => (list[i]?.replicas ?? 0) - (list[i + 1]?.replicas ?? 0);

export function stabilize(
  memory: ComponentMemory,
  need: Need,
  range: ReplicaRange,
  tuning: ComponentTuning,
  windowSeconds: number,
  now: number,
): Stabilized {
  const current = memory.replicas;
  const windowMs = Math.max(windowSeconds, tuning.minScaleDownWindowSeconds) * 1000;
  const recent = memory.recommendations.filter((r) => r.at > now - windowMs && r.at <= now);
  if (need.replicas === undefined) {
    // Unknown load: keep what runs (the spec's bounds still apply if they changed).
    const replicas = clampToRange(current, range);
    return { replicas, memory: { ...memory, replicas, recommendations: recent } };
  }
  const desired = clampToRange(need.replicas, range);
  const recommendations = keepWindowMaxima(recent, { at: now, replicas: desired });
  let replicas = current;
  let note: string | undefined;
  // Inside the band between the bare need and the need with headroom, noise does not scale up.
  const triggered = need.urgent || clampToRange(need.minimum ?? need.replicas, range) > current;
  if (desired > current && triggered) {
    const step = Math.max(tuning.maxStepUpPods, Math.ceil(current * tuning.maxStepUpRatio));
    replicas = Math.min(desired, current + step);
    if (replicas < desired) note = `step limited to +${step}`;
  } else if (desired < current && !need.urgent) {
    const stable = Math.max(...recommendations.map((r) => r.replicas));
    const deadband = Math.max(1, Math.ceil(current * POLICY.scaleDownDeadband));
    if (stable <= current - deadband) {
      const step = Math.max(1, Math.floor(current * tuning.maxStepDownRatio));
      replicas = Math.max(stable, current - step);
      note = `highest need in the last ${windowMs / 1000} s is ${stable}${replicas > stable ? `, step limited to -${step}` : ''}`;
    }
  }
  replicas = clampToRange(replicas, range);
  const next: ComponentMemory = { ...memory, replicas, recommendations };
  if (replicas > current) next.lastScaleUpAt = now;
  if (replicas < current) next.lastScaleDownAt = now;
  return note === undefined ? { replicas, memory: next } : { replicas, memory: next, note };
}
