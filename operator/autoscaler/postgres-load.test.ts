/**
 * The read replicas' load on the signals operator/autoscaling/signals/collect.ts delivers: read queries/s from
 * the replicas and, when the cluster exports it, their CPU. Sizing works in cores, so the load the
 * forecasts remember must be cores too; read queries/s alone (no CPU to convert them with) must not
 * be taken for cores — 600 q/s read as 600 cores sent the replicas 1 → 3 → 5 → 6 in 75 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { specWithManagedReplicas } from '../../testing/autoscaler-spec.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
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

  it('sizes on replica CPU and remembers cores, not queries/s, as the forecasts’ load', () => {
    const readings = rampReadings(6, true);
    const { replicas, state } = replay(readings);
    // 1.5 → 1.58 cores on 2-core replicas: two replicas at most, even planning a 5-minute start-up ahead.
    assert.ok(Math.max(...replicas) <= 2, `replicas ${replicas.join(' → ')}`);
    const remembered = state.components['postgres-replicas']?.recent ?? [];
    assert.equal(remembered.length, readings.length);
    for (const [i, sample] of remembered.entries()) {
      const cpu = readings[i]?.replicaCpuCores ?? NaN;
      assert.ok(Math.abs(sample.load - cpu) < 0.01 * cpu, `sample ${i}: ${sample.load} remembered for ${cpu} cores`);
    }
  });
});
