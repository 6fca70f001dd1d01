import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReport, formatFailure } from './check.js';
import type { PolicyName } from './policies.js';
import type { SimulationReport } from './report.js';
import type { RunResult } from './run.js';

function run(policy: PolicyName, violationMinutes: number, cost: number, replicaHours: number): RunResult {
  return {
    trace: 'x',
    policy,
    knob: 0.7,
    durationMinutes: 60,
    violationMinutes: {},
    totalViolationMinutes: violationMinutes,
    replicaHours: { api: 0, 'worker-uploads': 0, 'worker-reports': 0, 'postgres-replicas': 0, 'redis-shards': 0 },
    totalReplicaHours: replicaHours,
    cost: { api: 0, 'worker-uploads': 0, 'worker-reports': 0, 'postgres-replicas': 0, 'redis-shards': 0 },
    totalCost: cost,
    currency: 'USD',
    scalingActions: { api: 0, 'worker-uploads': 0, 'worker-reports': 0, 'postgres-replicas': 0, 'redis-shards': 0 },
    reversals: { api: 0, 'worker-uploads': 0, 'worker-reports': 0, 'postgres-replicas': 0, 'redis-shards': 0 },
    recoverySeconds: [],
    maxRecoverySeconds: 0,
    history: [],
    series: [],
  };
}

function report(trace: string, ours: RunResult, hpa: RunResult, keda: RunResult): SimulationReport {
  return { seed: 3, traces: [{ trace, description: '', runs: [hpa, keda, ours] }] };
}

describe('the win check', () => {
  it('fails when ours has more SLA-violation minutes than a baseline, or ties above zero', () => {
    const lost = checkReport(report('gate-rush', run('ours', 25, 4, 50), run('hpa', 23, 4, 50), run('keda', 30, 4, 50)));
    assert.deepEqual(lost.map(formatFailure), ['seed 3 gate-rush: ours 25 SLA-violation minutes, hpa 23']);
    const tied = checkReport(report('gate-rush', run('ours', 23, 4, 50), run('hpa', 23, 4, 50), run('keda', 30, 4, 50)));
    assert.equal(tied.length, 1);
    assert.deepEqual(checkReport(report('gate-rush', run('ours', 0, 4, 50), run('hpa', 0, 4, 50), run('keda', 0, 4, 50))), []);
  });

  it('fails on the cost traces when ours costs more dollars or more replica-hours, even with fewer SLA minutes', () => {
    const dearer = checkReport(report('week', run('ours', 200, 246, 2700), run('hpa', 1000, 240, 2800), run('keda', 1000, 250, 2800)));
    assert.deepEqual(
      dearer.map((f) => f.baseline),
      ['hpa'],
    );
    assert.match(formatFailure(dearer[0] as (typeof dearer)[number]), /costs USD 246\.00, hpa USD 240\.00/);
    const bigger = checkReport(report('week', run('ours', 200, 230, 2900), run('hpa', 1000, 240, 2800), run('keda', 1000, 250, 2950)));
    assert.deepEqual(
      bigger.map((f) => f.baseline),
      ['hpa'],
    );
    // Cost is only checked where asked for.
    assert.deepEqual(checkReport(report('k6-ramp', run('ours', 20, 9, 99), run('hpa', 30, 1, 1), run('keda', 30, 1, 1))), []);
  });
});
