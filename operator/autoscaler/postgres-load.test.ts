/**
 * The read replicas' load on the signals operator/autoscaling/signals/collect.ts delivers: read queries/s from
 * the replicas and, when the cluster exports it, their CPU. Sizing works in cores; read queries/s
 * alone (no CPU to convert them with) must not be taken for cores — 600 q/s read as 600 cores sent
 * the replicas 1 → 3 → 5 → 6 in 75 s. Since session 20 the replicas are sized on the CPU they use
 * now, with no forecast, so no load of theirs is remembered at all (a state written before
 * session 21 drops what it kept).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { specWithManagedReplicas } from '../../testing/autoscaler-spec.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { emptySeasonalMemory } from './forecast.js';
import type { AutoscalerState, PostgresSignals } from './types.js';

const spec: PassPlatformSpec = specWithManagedReplicas();
const INTERVAL_MS = spec.autoscaling.intervalSeconds * 1000;
const T0 = Date.UTC(2026, 2, 3, 9, 0);
/** Replica CPU per read query in the cluster under test (2.5 ms: 600 q/s keep 1.5 cores busy). */
const CPU_SECONDS_PER_QUERY = 0.0025;

/** Read load rising 1 % per interval from 600 q/s, as collect.ts shapes the postgres signals. */
function rampReadings(steps: number, withReplicaCpu: boolean): PostgresSignals[] {
  return Array.from({ length: steps }, (_, i) => {
    const readQps = 600 * 1.01 ** i;
    const pg: PostgresSignals = { readQps, maxReplicaLagSeconds: 0.1, connectionUseRatio: 0.2, readyReplicas: 1 };
    if (withReplicaCpu) pg.replicaCpuCores = readQps * CPU_SECONDS_PER_QUERY;
    return pg;
  });
}

function replay(readings: PostgresSignals[]): { replicas: number[]; state: AutoscalerState } {
  let state = initialAutoscalerState({ 'postgres-replicas': 1 });
  const replicas: number[] = [];
  readings.forEach((postgres, i) => {
    const now = T0 + i * INTERVAL_MS;
    const result = autoscale(spec, state, { observedAt: now, postgres }, now);
    state = result.state;
    replicas.push(result.replicas['postgres-replicas'] ?? 0);
  });
  return { replicas, state };
}

describe('read replica load in cores', () => {
  it('holds the replicas when only read queries/s arrive: q/s without CPU are no number of cores', () => {
    const { replicas, state } = replay(rampReadings(6, false));
    assert.deepEqual(replicas, [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(state.components['postgres-replicas']?.recent ?? [], [], 'no load in an unknown unit is remembered');
  });

  it('sizes on the replica CPU measured now and remembers no load for a forecast', () => {
    const readings = rampReadings(6, true);
    const { replicas, state } = replay(readings);
    // 1.5 → 1.58 cores on 2-core replicas at the default knob's 45 %: two replicas, the CPU measured now.
    assert.deepEqual(replicas, [2, 2, 2, 2, 2, 2]);
    assert.deepEqual(state.components['postgres-replicas']?.recent, []);
    assert.equal(state.components['postgres-replicas']?.seasonal, undefined);
  });

  it('sizes on queries/s × the CPU per query it learned when the CPU reading drops out', () => {
    const { replicas, state } = replay(rampReadings(6, true));
    assert.equal(replicas.at(-1), 2);
    const learned = state.postgresCpuSecondsPerQuery ?? NaN;
    assert.ok(Math.abs(learned - CPU_SECONDS_PER_QUERY) < 0.05 * CPU_SECONDS_PER_QUERY, `learned ${learned} s per query`);
    const now = T0 + 6 * INTERVAL_MS;
    // 1,200 q/s × 2.5 ms = 3 cores at 45 % of 2-core replicas: 4 replicas (two more, the step's limit).
    const postgres: PostgresSignals = { readQps: 1200, maxReplicaLagSeconds: 0.1, connectionUseRatio: 0.2, readyReplicas: 2 };
    const result = autoscale(spec, state, { observedAt: now, postgres }, now);
    assert.equal(result.replicas['postgres-replicas'], 4);
  });

  it('drops the load memory a state written before session 21 kept for the replicas', () => {
    const before = initialAutoscalerState({ 'postgres-replicas': 1 });
    const memory = before.components['postgres-replicas'];
    assert.ok(memory);
    memory.recent = [{ at: T0 - INTERVAL_MS, load: 600 }];
    memory.seasonal = emptySeasonalMemory(300_000, 7 * 86_400_000);
    const [postgres] = rampReadings(1, true);
    const { state } = autoscale(spec, before, { observedAt: T0, postgres }, T0);
    assert.deepEqual(state.components['postgres-replicas']?.recent, []);
    assert.equal(state.components['postgres-replicas']?.seasonal, undefined);
  });
});
