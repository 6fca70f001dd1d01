/**
 * Read replicas: what the knob's headroom applies to. A replica costs ~24 API pods, so the replica
 * hours bought on a forecast that overshoots (a trend over a five-minute start-up tops out past
 * a ramp's peak) are the dearest the policy can waste.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { specWithManagedReplicas } from '../../testing/autoscaler-spec.js';
import { initialAutoscalerState } from './autoscaler.js';
import { addPoint, type WeightedFit } from './downstream.js';
import { sizePostgres, type Plan } from './sizing.js';
import type { AutoscalerState } from './types.js';

/** Report jobs of 0.5 + 1 s / (1 − ρ) with a p95 twice the mean: their 5 s SLA is reached at ρ = 50 %. */
function learnedState(): AutoscalerState {
  let fit: WeightedFit | undefined;
  for (let i = 0; i < 400; i++) {
    const x = 1 + (i % 40) / 40;
    fit = addPoint(fit, x, 0.5 + x, 0.998);
  }
  return { ...initialAutoscalerState({ 'postgres-replicas': 2 }), replicaDependence: { reports: fit }, jobP95OverMean: { reports: 2 } };
}

function atKnob(knob: number): PassPlatformSpec {
  const spec = specWithManagedReplicas();
  return { ...spec, autoscaling: { ...spec.autoscaling, targetUtilization: knob } };
}

/** Replicas for `measured` cores of reads (2-core replicas) when the planner says `plan`. */
function replicas(knob: number, measured: number, plan: Plan): number | undefined {
  return sizePostgres({
    spec: atKnob(knob),
    state: learnedState(),
    signals: { readQps: 1000, replicaCpuCores: measured, readyReplicas: 2, maxReplicaLagSeconds: 0.1 },
    current: 2,
    plan: () => plan,
    startupSeconds: 300,
  }).replicas;
}

describe('read replicas below the default knob', () => {
  it('keep the knob’s headroom for the load measured now', () => {
    // Knob 0.5: 0.43 × the queueing part the SLA allows, x = 1 + 0.43 → ρ 30 %: 3 cores → 5 replicas.
    assert.equal(replicas(0.5, 3, { load: 3, basis: 'measured' }), 5);
    // At the default the curve's own point, 50 %: 3 replicas.
    assert.equal(replicas(0.7, 3, { load: 3, basis: 'measured' }), 3);
  });

  it('size a forecast at the SLA’s point, not with the headroom again', () => {
    // 1.2 cores now, a trend to 3: the forecast needs 3 replicas at 50 % when it comes (at 30 %
    // it bought 5, two of them for load that had not come); the load now needs 2 at 30 %.
    const trend: Plan = { load: 3, basis: 'trend' };
    assert.equal(replicas(0.5, 1.2, trend), 3);
    assert.equal(replicas(0.6, 1.2, trend), 3);
    // The default and above are as before: the knob's aim is at or past the SLA's point.
    assert.equal(replicas(0.7, 1.2, trend), 3);
    assert.equal(replicas(0.9, 1.2, trend), 2);
    // The measured load keeps its headroom: 2.4 cores now need 4 replicas at 30 % whatever the forecast.
    assert.equal(replicas(0.5, 2.4, { load: 2.6, basis: 'seasonal' }), 4);
  });

  it('keeps sizing a forecast at the knob when no curve says where the SLA is', () => {
    const sized = sizePostgres({
      spec: atKnob(0.5),
      state: initialAutoscalerState({ 'postgres-replicas': 2 }),
      signals: { readQps: 1000, replicaCpuCores: 1.2, readyReplicas: 2, maxReplicaLagSeconds: 0.1 },
      current: 2,
      plan: () => ({ load: 3, basis: 'trend' }),
      startupSeconds: 300,
    });
    // 3 cores at 50 % of 2.
    assert.equal(sized.replicas, 3);
  });
});

describe('read replicas for slow jobs the curve cannot judge yet', () => {
  /** Report jobs of 2.1 s mean and a p95 2.3 × that (4.83 s, past 90 % of their 5 s SLA), fitted over `xs`. */
  function slowJobs(xs: (i: number) => number, duration: (x: number, i: number) => number): AutoscalerState {
    let fit: WeightedFit | undefined;
    for (let i = 0; i < 200; i++) fit = addPoint(fit, xs(i), duration(xs(i), i), 0.998);
    return {
      ...initialAutoscalerState({ 'postgres-replicas': 1 }),
      jobDurationSeconds: { reports: 2.1 },
      replicaDependence: { reports: fit },
      jobP95OverMean: { reports: 2.3 },
    };
  }
  function sized(knob: number, state: AutoscalerState) {
    return sizePostgres({
      spec: atKnob(knob),
      state,
      // 0.84 cores of reads: one 2-core replica at 42 %, under every knob here.
      signals: { readQps: 1000, replicaCpuCores: 0.84, readyReplicas: 1, maxReplicaLagSeconds: 0.1 },
      current: 1,
      plan: () => ({ load: 0.84, basis: 'measured' }),
      startupSeconds: 300,
    });
  }
  // Every point at one replica's ρ (42 %, jitter ±1 %): the slope is there but the spread is not.
  const oneLoad = slowJobs(
    (i) => 1 / (1 - 0.42 - ((i % 3) - 1) * 0.01),
    (x) => 0.5 + 0.95 * x,
  );

  it('add one replica below the default knob', () => {
    const need = sized(0.5, oneLoad);
    assert.equal(need.replicas, 2);
    assert.equal(need.minimum, 2, 'scales up now, not only inside the headroom band');
    assert.match(need.reason, /reports jobs' p95 4\.83 s is past 4\.5 s/);
    assert.equal(sized(0.6, oneLoad).replicas, 2);
  });

  it('leave the default knob and above to the load', () => {
    assert.equal(sized(0.7, oneLoad).replicas, 1);
    assert.equal(sized(0.9, oneLoad).replicas, 1);
  });

  it('add none once the curve has seen the replicas at other loads and finds no dependence', () => {
    // ρ from 0 to 60 %, job durations 2.1 s ± 0.02 whatever ρ: the spread is there and the slope is not.
    const flat = slowJobs(
      (i) => 1 / (1 - (i % 7) * 0.1),
      (_x, i) => 2.1 + ((i % 5) - 2) * 0.01,
    );
    assert.equal(sized(0.5, flat).replicas, 1);
  });

  it('add none when the jobs are inside their mark', () => {
    const fast = { ...oneLoad, jobP95OverMean: { reports: 2 } };
    assert.equal(sized(0.5, fast).replicas, 1);
  });
});
