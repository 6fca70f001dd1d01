/**
 * Above the spec default the knob buys dollars with queueing on the API too: the pods' Erlang C
 * wait budget and the measured-miss step's idea of a miss both move with it, as every learned
 * curve's aim does (knobQueueScale, ADR 0006). At and below the default nothing changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { sizeApi } from './sizing.js';
import type { ApiSignals, AutoscalerState } from './types.js';

const base: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const atKnob = (knob: number): PassPlatformSpec => ({ ...base, autoscaling: { ...base.autoscaling, targetUtilization: knob } });

function sized(knob: number, state: AutoscalerState, api: ApiSignals, current: number) {
  return sizeApi({
    spec: atKnob(knob),
    state,
    signals: api,
    current,
    plan: (load) => ({ load, basis: 'measured' }),
    startupSeconds: 40,
  });
}

describe("the knob's aim on the API above the spec default", () => {
  it("scales the pods' wait budget: a class with a base latency near its SLA no longer fixes the fleet", () => {
    // auth's learned base latency 0.175 s leaves it 5 ms of a 0.18 s mark: Erlang C asked for 9
    // half-core pods for 2.4 planned cores at every knob, where the knob's CPU at 0.9 is 6.
    const state = { ...initialAutoscalerState({ api: 8 }), baseLatencySeconds: { auth: 0.175, student_queries: 0.05 } };
    const api: ApiSignals = {
      requestRate: { auth: 10, student_queries: 170 },
      p95LatencySeconds: { auth: 0.19, student_queries: 0.08 },
      cpuCores: 180 * 0.012,
      readyPods: 8,
    };
    const pods = [0.6, 0.7, 0.8, 0.9].map((knob) => sized(knob, state, api, 8));
    const reasons = pods.map((need) => need.reason).join('\n');
    // The queue's pods, then the square-root headroom on them fading with the knob (sizing.ts apiHeadroom).
    assert.deepEqual(
      pods.map((need) => Number(/→ (\d+) pods \(Erlang C/.exec(need.reason)?.[1])),
      [9, 9, 8, 7],
      reasons,
    );
    assert.deepEqual(
      pods.map((need) => need.replicas),
      [9 + Math.ceil((4 / 3) * 3), 9 + 3, 8 + Math.ceil((2 / 3) * Math.sqrt(8)), 7 + Math.ceil((1 / 3) * Math.sqrt(7))],
      reasons,
    );
    assert.match(pods[3]?.reason ?? '', /tightest wait budget auth 0\.0050 s × 3\.86 at knob 0\.90 → 7 pods/);
    assert.doesNotMatch(pods[1]?.reason ?? '', /× [\d.]+ at knob/);
  });

  it("counts a p95 past the SLA as missed only past the knob's aim: base + the SLA's queueing × its scale", () => {
    // Ten half-core pods at 60 % CPU serving logins; auth's SLA is 0.2 s, its base (unlearned)
    // half of it: the aim at 0.9 is 0.1 + 0.1 × 3.86 = 0.49 s.
    const at = (knob: number, authP95: number) =>
      sized(
        knob,
        initialAutoscalerState({ api: 10 }),
        { requestRate: { auth: 100 }, p95LatencySeconds: { auth: authP95 }, cpuCores: 3, readyPods: 10 },
        10,
      );
    const withinAim = at(0.9, 0.3);
    assert.doesNotMatch(withinAim.reason, /SLA missed at/);
    assert.equal(withinAim.urgent, false);
    assert.ok((withinAim.replicas ?? 0) <= 10, withinAim.reason);
    const pastAim = at(0.9, 0.6);
    assert.match(pastAim.reason, /SLA missed at 60 % CPU → 15 pods; auth p95 0\.60 s > 0\.49 s \(the knob's aim; SLA 0\.20 s\)/);
    const atDefault = at(0.7, 0.3);
    assert.match(atDefault.reason, /SLA missed at 60 % CPU → 15 pods; auth p95 0\.30 s > 0\.20 s$/);
  });
});
