import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hourlyRate, replicaShapes } from '../operator/cost/prices.js';
import { COMPONENTS, WORKER_QUEUES } from '../platform-api/v1alpha1/index.js';
import { SLA_CLASS_NAMES } from '../core/sla.js';
import { scaledComponents } from '../operator/autoscaler/index.js';
import { averageValueRecommendation, cpuRecommendation, HpaBehavior } from './hpa.js';
import { toJson } from './report.js';
import type { StepOutcome } from './model.js';
import { countReversals, minuteViolations, REVERSAL_WINDOW_SECONDS } from './run.js';
import { simulate } from './simulate.js';
import { k6RampTrace } from './traces.js';
import { SIMULATED_SPEC } from './workload.js';

const spec = SIMULATED_SPEC;
const report = simulate([k6RampTrace()], spec, 7);
const runs = report.traces[0]?.runs ?? [];

describe('simulator on the k6 ramp', () => {
  it('runs every policy over the whole trace', () => {
    assert.deepEqual(
      runs.map((r) => r.policy),
      ['hpa', 'keda', 'tuned', 'ours'],
    );
    for (const run of runs) assert.equal(run.durationMinutes, 35);
  });

  it('keeps every replica history inside the spec bounds, starting at the trace start', () => {
    const ranges = scaledComponents(spec);
    for (const run of runs) {
      for (const component of COMPONENTS) {
        const changes = run.history.filter((h) => h.component === component);
        assert.equal(changes[0]?.at, k6RampTrace().startAt, `${run.policy} ${component} history starts at the trace start`);
        for (const change of changes) {
          const range = ranges[component];
          assert.ok(
            range && change.replicas >= range.minReplicas && change.replicas <= range.maxReplicas,
            `${run.policy} ${component}=${change.replicas}`,
          );
        }
        assert.equal(run.scalingActions[component], changes.length - 1);
        assert.equal(run.reversals[component], countReversals(changes));
      }
    }
  });

  it('counts replica-hours as the time integral of the history and prices them with the spec', () => {
    const shapes = replicaShapes(spec);
    const end = k6RampTrace().startAt + 35 * 60_000;
    for (const run of runs) {
      for (const component of COMPONENTS) {
        const changes = run.history.filter((h) => h.component === component);
        let hours = 0;
        changes.forEach((change, i) => {
          hours += (change.replicas * ((changes[i + 1]?.at ?? end) - change.at)) / 3_600_000;
        });
        assert.ok(
          Math.abs(hours - run.replicaHours[component]) < 1e-6,
          `${run.policy} ${component}: ${hours} vs ${run.replicaHours[component]}`,
        );
        const shape = shapes[component];
        const price = shape ? hourlyRate(shape, spec.cost).toNumber() : 0;
        assert.ok(Math.abs(run.cost[component] - hours * price) < 1e-9);
      }
      assert.ok(Math.abs(run.totalCost - Object.values(run.cost).reduce((a, b) => a + b, 0)) < 1e-9);
    }
  });

  it('reports violation minutes per SLA class within the trace length, and recovery within the trace', () => {
    for (const run of runs) {
      for (const minutes of Object.values(run.violationMinutes)) assert.ok(minutes >= 0 && minutes <= run.durationMinutes);
      assert.equal(
        run.totalViolationMinutes,
        Object.values(run.violationMinutes).reduce((a, b) => a + b, 0),
      );
      assert.equal(run.series.filter((p) => p.violated).length <= run.totalViolationMinutes, true);
      for (const seconds of run.recoverySeconds) assert.ok(seconds >= 0 && seconds <= 35 * 60);
    }
  });

  it('gives the same figures for the same seed', () => {
    const again = simulate([k6RampTrace()], spec, 7);
    assert.deepEqual(toJson(again, { history: true }), toJson(report, { history: true }));
  });

  it('prints JSON that holds the table figures and, on request, the ReplicaChange histories', () => {
    const json = JSON.parse(JSON.stringify(toJson(report, { history: true }))) as {
      traces: { runs: { policy: string; totalViolationMinutes: number; history: unknown[] }[] }[];
    };
    const first = json.traces[0]?.runs[0];
    assert.equal(first?.totalViolationMinutes, runs[0]?.totalViolationMinutes);
    assert.ok((first?.history.length ?? 0) >= COMPONENTS.length);
    const bare = toJson(report, { history: false }) as { traces: { runs: object[] }[] };
    assert.ok(!('history' in (bare.traces[0]?.runs[0] ?? {})));
  });
});

describe('reversals', () => {
  const at = (seconds: number, replicas: number) => ({ at: seconds * 1000, replicas });

  it('counts a change that undoes the previous one within the window, either way round', () => {
    // start 4; up to 6; down to 5 a minute later (reversal); up to 7 two minutes later (reversal).
    assert.equal(countReversals([at(0, 4), at(60, 6), at(120, 5), at(240, 7)]), 2);
  });

  it('does not count a change the other way once the window has passed, nor steps the same way', () => {
    const late = REVERSAL_WINDOW_SECONDS + 1;
    assert.equal(countReversals([at(0, 4), at(60, 6), at(60 + late, 5)]), 0);
    assert.equal(countReversals([at(0, 10), at(30, 8), at(45, 6), at(60, 5)]), 0);
    // The first entry is the count at the start, not a change: nothing before it to undo.
    assert.equal(countReversals([at(0, 4), at(15, 3)]), 0);
  });
});

describe('the SLA verdict of a minute', () => {
  const reportsSla = spec.sla.reports;
  /** One model step where only report jobs ran: `started` of them, `exceeded` of those late. */
  const step = (reports: Partial<StepOutcome['queues']['reports']>): StepOutcome => {
    const idle = { started: 0, exceeded: 0, waiting: 0, oldestWaitingAgeSeconds: 0, durationP95Seconds: 0 };
    return {
      requests: Object.fromEntries(SLA_CLASS_NAMES.map((c) => [c, { count: 0, exceeded: 0 }])) as StepOutcome['requests'],
      queues: Object.fromEntries(WORKER_QUEUES.map((q) => [q, q === 'reports' ? { ...idle, ...reports } : idle])) as StepOutcome['queues'],
    };
  };
  const quiet = Array.from({ length: 11 }, () => step({ started: 10, durationP95Seconds: reportsSla / 2 }));

  it('judges a minute by the share of its jobs that exceed, when none is left waiting', () => {
    // One step's p95 past the SLA, 0.3 of the minute's 111 jobs late: under 5 %.
    const slowStep = step({ started: 1, exceeded: 0.3, durationP95Seconds: reportsSla * 1.5 });
    assert.deepEqual(minuteViolations([...quiet, slowStep], spec), []);
    const lateStep = step({ started: 10, exceeded: 8, durationP95Seconds: reportsSla * 1.5 });
    assert.deepEqual(minuteViolations([...quiet, lateStep], spec), ['queue:reports']);
  });

  it('counts a minute whose waiting jobs can no longer start in time, though none has started', () => {
    const stuck = step({ waiting: 3, oldestWaitingAgeSeconds: reportsSla * 0.8, durationP95Seconds: reportsSla * 0.4 });
    assert.deepEqual(minuteViolations([...quiet, stuck], spec), ['queue:reports']);
    const waitingInTime = step({ waiting: 3, oldestWaitingAgeSeconds: reportsSla * 0.2, durationP95Seconds: reportsSla * 0.4 });
    assert.deepEqual(minuteViolations([...quiet, waitingInTime], spec), []);
  });
});

describe('HPA baseline', () => {
  const pod = (startedAt: number, readyAt: number) => ({ startedAt, readyAt });

  it('stays put within the 10 % tolerance and scales by the usage ratio outside it', () => {
    const pods = [pod(0, 0), pod(0, 0), pod(0, 0), pod(0, 0)];
    assert.equal(cpuRecommendation(pods, 0.75, 0.7, 4, 600_000), 4);
    assert.equal(cpuRecommendation(pods, 1, 0.7, 4, 600_000), 6);
  });

  it('counts pods that are not ready yet as idle when scaling up', () => {
    const now = 600_000;
    const pods = [pod(0, 0), pod(0, 0), pod(now - 10_000, now + 20_000), pod(now - 10_000, now + 20_000)];
    // Two busy pods at 100 % and two starting: (2 × 1.0) / (0.7 × 4) = 0.71 → no further scale-up.
    assert.equal(cpuRecommendation(pods, 1, 0.7, 4, now), 4);
  });

  it('scales up by at most max(4 pods, 100 %) per 15 s and down only after 300 s', () => {
    const behavior = new HpaBehavior(1, 100);
    assert.equal(behavior.next(2, 50, 0), 6);
    assert.equal(behavior.next(6, 50, 15_000), 12);
    assert.equal(behavior.next(12, 2, 30_000), 12);
    assert.equal(behavior.next(12, 2, 300_000), 12);
    assert.equal(behavior.next(12, 2, 316_000), 2);
  });

  it('sizes an AverageValue external metric as KEDA does', () => {
    assert.equal(averageValueRecommendation(0, 5, 3), 0);
    assert.equal(averageValueRecommendation(52, 5, 10), 10);
    assert.equal(averageValueRecommendation(100, 5, 10), 20);
  });
});
