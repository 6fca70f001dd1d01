/**
 * The API's learned latency curves (estimates.ts → downstream.ts) are fitted on the steady state,
 * not on a backlog: a reading whose p95 is far over the class's SLA is left out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { learnEstimates } from './estimates.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };

/** 10 pods, 200 req/s at 10 ms of CPU each: 40 % of their half cores; auth's p95 as given. */
function reading(authP95: number): PlatformSignals {
  return {
    observedAt: 0,
    api: {
      requestRate: { auth: 10, student_queries: 140, pass_generation: 40, analytics: 10 },
      p95LatencySeconds: { auth: authP95, student_queries: 0.15, pass_generation: 0.17, analytics: 0.45 },
      cpuCores: 2,
      readyPods: 10,
    },
  };
}

describe('the API latency curve', () => {
  const start: AutoscalerState = { ...initialAutoscalerState({ api: 10 }), apiCpuSecondsPerRequest: 0.01 };

  it('takes a reading over the SLA as a point, up to twice it', () => {
    const fit = learnEstimates(start, reading(2 * spec.sla.auth), spec, 10).apiLatencyFit?.auth;
    assert.equal(fit?.w, 1);
    assert.ok(Math.abs((fit?.sy ?? 0) - 2 * spec.sla.auth) < 1e-12);
  });

  it('leaves out a reading past twice the SLA: a backlog from too few pods, not a point of the curve', () => {
    // A cold start on two pods read auth's p95 at 29-30 s while the CPU was 88-92 % busy; a few such
    // points bent auth's line on the gate rush to −4.3 + 3.4 s / (1 − ρ) (ADR 0006).
    assert.equal(POLICY.latencyFitMaxSlaMultiple, 2);
    const fits = learnEstimates(start, reading(2.01 * spec.sla.auth), spec, 10).apiLatencyFit;
    assert.equal(fits?.auth, undefined);
    assert.equal(fits?.student_queries?.w, 1, 'the other classes still add their points');
  });
});
