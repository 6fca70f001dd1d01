/**
 * Read replicas: what the knob's headroom applies to. A replica costs ~24 API pods and takes
 * minutes to start, so they are sized on the CPU they use now at the knob less an offset
 * (sizing.ts replicaUtilization), not on a forecast: a trend over a five-minute start-up tops out
 * past a ramp's peak, and those replica hours are the dearest the policy can waste.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { specWithManagedReplicas } from '../../testing/autoscaler-spec.js';
import { initialAutoscalerState } from './autoscaler.js';
import { addPoint, type WeightedFit } from './downstream.js';
import { sizePostgres, type Plan } from './sizing.js';
import type { AutoscalerState } from './types.js';

function atKnob(knob: number): PassPlatformSpec {
  const spec = specWithManagedReplicas();
  return { ...spec, autoscaling: { ...spec.autoscaling, targetUtilization: knob } };
}

/** The need for `measured` cores of reads on 2-core replicas, `lag` seconds behind, when the planner says `plan`. */
function sized(knob: number, measured: number, plan: Plan = { load: measured, basis: 'measured' }, lag = 0.1) {
  return sizePostgres({
    spec: atKnob(knob),
    state: initialAutoscalerState({ 'postgres-replicas': 2 }),
    signals: { readQps: 1000, replicaCpuCores: measured, readyReplicas: 2, maxReplicaLagSeconds: lag },
    current: 2,
    plan: () => plan,
    startupSeconds: 300,
  });
}

function replicas(knob: number, measured: number, plan?: Plan): number | undefined {
  return sized(knob, measured, plan).replicas;
}

describe('read replicas on the CPU they use now', () => {
  it('run at the knob less 25 points, at least 30 %', () => {
    // 3 cores of reads on 2-core replicas: at 0.7, 45 % → 3.33 → 4; at 1, 75 % → 2; at 0.5 the 30 % floor → 5.
    assert.equal(replicas(0.7, 3), 4);
    assert.equal(replicas(1, 3), 2);
    assert.equal(replicas(0.5, 3), 5);
    assert.equal(replicas(0.4, 3), 5);
  });

  it('order none for a forecast: the load measured now decides', () => {
    assert.equal(replicas(0.7, 1.2, { load: 3, basis: 'trend' }), 2);
    assert.equal(replicas(0.7, 1.2, { load: 3, basis: 'seasonal' }), 2);
  });

  it('say what they were sized on', () => {
    assert.match(sized(0.7, 3).reason, /3 cores of reads at 45 % of 2 cores \(knob 0\.70? less 25 points\) → 4/);
  });

  it('add one when lag shows they fall behind', () => {
    const need = sized(0.7, 1, undefined, 30);
    assert.equal(need.replicas, 3);
    assert.equal(need.urgent, true);
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
  function slowSized(knob: number, state: AutoscalerState) {
    return sizePostgres({
      spec: atKnob(knob),
      state,
      // 0.5 cores of reads: one 2-core replica at 25 %, under every knob's target here.
      signals: { readQps: 1000, replicaCpuCores: 0.5, readyReplicas: 1, maxReplicaLagSeconds: 0.1 },
      current: 1,
      plan: () => ({ load: 0.5, basis: 'measured' }),
      startupSeconds: 300,
    });
  }
  // Every point at one replica's ρ (42 %, jitter ±1 %): the slope is there but the spread is not.
  const oneLoad = slowJobs(
    (i) => 1 / (1 - 0.42 - ((i % 3) - 1) * 0.01),
    (x) => 0.5 + 0.95 * x,
  );

  it('add one replica at the default knob and below', () => {
    const need = slowSized(0.5, oneLoad);
    assert.equal(need.replicas, 2);
    assert.equal(need.minimum, 2, 'scales up now, not only inside the headroom band');
    assert.match(need.reason, /reports jobs' p95 4\.83 s is past 4\.5 s/);
    assert.equal(slowSized(0.7, oneLoad).replicas, 2);
  });

  it('leave the replicas to the load above the default knob, where a wait is worth less', () => {
    for (const knob of [0.725, 0.9, 0.95, 1]) assert.equal(slowSized(knob, oneLoad).replicas, 1, `knob ${knob}`);
  });

  it('add none once the curve has seen the replicas at other loads and finds no dependence', () => {
    // ρ from 0 to 60 %, job durations 2.1 s ± 0.02 whatever ρ: the spread is there and the slope is not.
    const flat = slowJobs(
      (i) => 1 / (1 - (i % 7) * 0.1),
      (_x, i) => 2.1 + ((i % 5) - 2) * 0.01,
    );
    assert.equal(slowSized(0.5, flat).replicas, 1);
  });

  it('add none when the jobs are inside their mark', () => {
    const fast = { ...oneLoad, jobP95OverMean: { reports: 2 } };
    assert.equal(slowSized(0.5, fast).replicas, 1);
  });
});
