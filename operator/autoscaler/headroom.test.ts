/**
 * The API's square-root headroom (sizing.ts apiHeadroom): ⌈β √n⌉ pods on the n its queue needs,
 * β = 1 at the spec default fading to none at knob 1, withheld while the read replicas run at or
 * over their aim, and counted in the scale-up trigger only on a rise the forecast sees, while the
 * replicas are clearly under their aim.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { addPoint, type WeightedFit } from './downstream.js';
import { replicaUtilization, sizeApi } from './sizing.js';
import type { ApiSignals, AutoscalerState } from './types.js';

const base: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const atKnob = (knob: number): PassPlatformSpec => ({ ...base, autoscaling: { ...base.autoscaling, targetUtilization: knob } });

/**
 * 300 student queries a second at 10 ms of CPU each on half-core pods, the replicas (1 core each,
 * two ready) at `replicasBusy`; planned as measured, or `rising` to 330 on a trend.
 */
function sized(knob: number, replicasBusy: number, rising = false, state: AutoscalerState = initialAutoscalerState({ api: 10 })) {
  const api: ApiSignals = {
    requestRate: { student_queries: 300 },
    p95LatencySeconds: { student_queries: 0.1 },
    cpuCores: 3,
    readyPods: 10,
  };
  return sizeApi({
    spec: atKnob(knob),
    state,
    signals: api,
    current: 10,
    plan: (load) => (rising ? { load: load * 1.1, basis: 'trend' } : { load, basis: 'measured' }),
    startupSeconds: 40,
    readReplicas: { replicaCpuCores: 2 * replicasBusy, readyReplicas: 2 },
  });
}

describe("the API's square-root headroom", () => {
  it('adds ⌈β √n⌉ pods to the n the queue needs: β 1 at the spec default, fading to none at knob 1', () => {
    for (const [knob, beta] of [
      [0.5, 5 / 3],
      [0.7, 1],
      [0.85, 0.5],
      [1, 0],
    ] as const) {
      const aim = replicaUtilization(atKnob(knob));
      // The replicas busy at their aim withhold it: the queue's own need.
      const queue = sized(knob, aim).replicas ?? 0;
      const idle = sized(knob, 0.1);
      assert.ok(queue > 0);
      assert.equal(idle.replicas, queue + Math.ceil(beta * Math.sqrt(queue) - 1e-9), `knob ${knob}: ${idle.reason}`);
      if (beta > 0) assert.match(idle.reason, new RegExp(`headroom ⌈[\\d.]+ × √${queue}⌉ on the queue.s ${queue} → ${idle.replicas} pods`));
      else assert.doesNotMatch(idle.reason, /headroom/);
    }
  });

  it('is withheld while the read replicas run at or over their aim, and the decision says so', () => {
    const need = sized(0.7, 0.45);
    assert.match(need.reason, /no headroom: read replicas at 45 % ≥ their 45 %/);
    assert.ok((need.replicas ?? 0) < (sized(0.7, 0.44).replicas ?? 0));
  });

  it('counts in the scale-up trigger only on a rise, while the replicas are under their aim by the surge allowance', () => {
    // On a flat load the trigger is the queue's bare need: a reading that dips the replicas under
    // their aim must not scale the API up just after the headroom was withheld (the no-flap
    // property in autoscaler.test.ts found that cycle). On a rise the headroom goes up with the fleet.
    const flat = sized(0.7, 0.3);
    const rising = sized(0.7, 0.3, true);
    assert.equal(flat.minimum, sized(0.7, 0.45).minimum, flat.reason);
    assert.ok((rising.minimum ?? 0) > (sized(0.7, 0.45, true).minimum ?? 0), rising.reason);
    // Between aim / 1.1 and the aim the target keeps the headroom but the trigger does not.
    const inBand = sized(0.7, 0.43, true);
    assert.equal(inBand.replicas, rising.replicas);
    assert.equal(inBand.minimum, sized(0.7, 0.45, true).minimum);
  });

  it('is sized on the queue: a learned curve that asks for more already holds it', () => {
    // student_queries' p95 learned as −1.16 + 1 s / (1 − ρ) reaches 90 % of its 0.3 s SLA at ρ = 30 %:
    // 20 pods for the 3 cores, where the queue asks 9 and its headroom 3 more.
    let fit: WeightedFit | undefined;
    for (let i = 0; i < 60; i++) {
      const x = 1.1 + (i % 15) * 0.1;
      fit = addPoint(fit, x, -1.16 + x, 1);
    }
    const state = { ...initialAutoscalerState({ api: 10 }), apiLatencyFit: { student_queries: fit } };
    const curved = sized(0.7, 0.1, false, state);
    assert.match(curved.reason, /student_queries p95 -1\.16 \+ 1 s \/ \(1 − ρ\)/);
    assert.equal(curved.replicas, sized(0.7, replicaUtilization(atKnob(0.7)), false, state).replicas, curved.reason);
    assert.doesNotMatch(curved.reason, /headroom/);
  });
});
