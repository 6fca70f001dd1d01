import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { erlangC, waitExceedProbability } from './erlang.js';
import { sizeApi } from './sizing.js';
import type { ApiSignals, AutoscalerState } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };

describe('API sizing at the knob’s cheap end', () => {
  // 180 req/s at 12 ms of CPU on half-core pods (41.7 req/s each), and a login whose p95 without
  // waiting was read at 0.178 s against its 0.2 s SLA: 0.2 × 0.9 − 0.178 leaves 2 ms to wait.
  const cpuPerRequest = 0.012;
  const api: ApiSignals = {
    requestRate: { auth: 10, student_queries: 170 },
    p95LatencySeconds: { auth: 0.178, student_queries: 0.1 },
    cpuCores: 180 * cpuPerRequest,
    readyPods: 8,
  };
  const state: AutoscalerState = {
    ...initialAutoscalerState({ api: 8 }),
    apiCpuSecondsPerRequest: cpuPerRequest,
    baseLatencySeconds: { auth: 0.178, student_queries: 0.1 },
  };
  const size = (targetUtilization: number) => {
    const need = sizeApi({
      spec: { ...spec, autoscaling: { ...spec.autoscaling, targetUtilization } },
      state,
      signals: api,
      current: 8,
      plan: (load) => ({ load, basis: 'measured' }),
      startupSeconds: 40,
    });
    assert.ok(need.replicas !== undefined, need.reason);
    return { pods: need.replicas, reason: need.reason };
  };
  const podRate = 0.5 / cpuPerRequest;
  // The policy plans for its 10 % surge allowance over the measured rate.
  const arrival = 180 * 1.1;
  const pastBudget = (pods: number) => waitExceedProbability(pods, arrival, podRate, 0.2 * 0.9 - 0.178);

  it('at and below the default, sizes so that at most 5 % of requests wait past the budget', () => {
    const { pods, reason } = size(0.7);
    assert.ok(pastBudget(pods) <= 0.05 && pastBudget(pods - 1) > 0.05, `${pods} pods: ${reason}`);
    assert.equal(size(0.6).pods, pods);
    assert.doesNotMatch(reason, /of requests past it/);
  });

  it('above the default, lets the share past the budget grow like the knob’s queueing, so the knob buys pods', () => {
    const safe = size(0.7).pods;
    // At 0.9 the knob allows 3.86 × the default's queueing (downstream.ts queueScale): 19 % past the budget.
    const at09 = size(0.9);
    assert.ok(at09.pods < safe, `${at09.pods} pods at 0.9, ${safe} at 0.7`);
    assert.ok(pastBudget(at09.pods) <= 0.05 * 3.86 && pastBudget(at09.pods - 1) > 0.05 * 3.86, at09.reason);
    assert.match(at09.reason, /at most 19\.29 % of requests past it at knob 0\.9/);
    // At 0.95 (8.14 ×, 41 %) no more pods than at 0.9.
    assert.ok(size(0.95).pods <= at09.pods);
    // At 1 every request may wait: only the 90 % utilisation cap and the CPU at the knob bound the pods.
    const at1 = size(1);
    assert.equal(at1.pods, Math.ceil(arrival / podRate / 0.9), at1.reason);
    assert.ok(erlangC(at1.pods, arrival, podRate) > 0.05);
  });
});
