/**
 * What the policy learns from the signals instead of holding as constants: how a worker queue's job
 * duration grows with the read replicas' utilisation (and so how busy the replicas may run), how
 * an SLA class's p95 grows with the API pods' utilisation, and how long a scale-up takes to show
 * ready replicas. Each is driven through `autoscale` with readings shaped as collect.ts delivers them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { specWithManagedReplicas } from '../../testing/autoscaler-spec.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { addPoint, fitLine, queueScale, utilisationCeiling } from './downstream.js';
import { apiLatencyCeiling, cores } from './sizing.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

const spec: PassPlatformSpec = specWithManagedReplicas();
// Reactive sizing only: these tests are about what the policy learned, not about its forecasts.
spec.autoscaling = { ...spec.autoscaling, predictive: false };
const INTERVAL_MS = spec.autoscaling.intervalSeconds * 1000;
const T0 = Date.UTC(2026, 2, 3, 9, 0);

/** Replica readings over a day-like swing of utilisation, report jobs taking `jobSeconds(ρ)`. */
function replicaReadings(runs: number, jobSeconds: (utilisation: number) => number): PlatformSignals[] {
  return Array.from({ length: runs }, (_, i) => {
    const utilisation = 0.15 + 0.3 * (0.5 + 0.5 * Math.sin(i / 20));
    const mean = jobSeconds(utilisation);
    return {
      observedAt: T0 + i * INTERVAL_MS,
      postgres: { readQps: 1000, replicaCpuCores: utilisation * 2 * 2, readyReplicas: 2, maxReplicaLagSeconds: 0.1 },
      queues: {
        reports: {
          waiting: 0,
          prioritized: 0,
          active: 1,
          arrivalRate: 0.3,
          completionRate: 0.3,
          meanJobDurationSeconds: mean,
          p95JobDurationSeconds: mean * 2,
          readyPods: 1,
        },
        uploads: {
          waiting: 0,
          prioritized: 0,
          active: 1,
          arrivalRate: 3,
          completionRate: 3,
          meanJobDurationSeconds: 0.6,
          p95JobDurationSeconds: 1.2,
          readyPods: 1,
        },
      },
    };
  });
}

function run(readings: PlatformSignals[], state: AutoscalerState = initialAutoscalerState({ 'postgres-replicas': 2 })) {
  let result = { state, replicas: {}, decisions: [] } as ReturnType<typeof autoscale>;
  const decisions: ReturnType<typeof autoscale>['decisions'] = [];
  for (const signals of readings) {
    result = autoscale(spec, result.state, signals, signals.observedAt);
    decisions.push(...result.decisions);
  }
  return { ...result, decisions };
}

describe('a line through noisy readings', () => {
  it('recovers intercept and slope, and the utilisation at which the line reaches a bound', () => {
    let fit = undefined;
    for (let i = 0; i < 400; i++) {
      const x = 1 + (i % 40) / 20;
      fit = addPoint(fit, x, 0.6 + 0.9 * x + (i % 2 ? 0.05 : -0.05), 0.998);
    }
    const line = fitLine(fit, 40);
    assert.ok(line);
    assert.ok(Math.abs(line.slope - 0.9) < 0.02 && Math.abs(line.intercept - 0.6) < 0.03, JSON.stringify(line));
    // 0.6 + 0.9 x = 2.4 at x = 2: ρ = 1 − 1/2.
    const ceiling = utilisationCeiling(line, 2.4, { minSlopeT: 3, minSpreadX: 0.05, floor: 0.2 });
    assert.ok(ceiling !== undefined && Math.abs(ceiling - 0.5) < 0.02, String(ceiling));
  });

  it('aims at the point the knob picks: the queueing part the bound allows, or its utilisation, scaled', () => {
    const line = { intercept: 0.6, slope: 0.9, correlation: 0.99, slopeT: 50, spreadX: 0.5 };
    const options = { minSlopeT: 3, minSpreadX: 0.05, floor: 0.2 };
    const at = (aim: { queueScale: number; loadScale: number }) => utilisationCeiling(line, 2.4, { ...options, aim }) ?? 0;
    // The bound is reached at x = 2 (x − 1 = 1, ρ = 1/2); twice the queueing part: x = 3, ρ = 2/3; half: x = 1.5, ρ = 1/3.
    assert.ok(Math.abs(at({ queueScale: 2, loadScale: 1 }) - 2 / 3) < 1e-9);
    assert.ok(Math.abs(at({ queueScale: 0.5, loadScale: 1 }) - 1 / 3) < 1e-9);
    // Or the utilisation there: 0.8 × 1/2; never under the floor.
    assert.ok(Math.abs(at({ queueScale: 1, loadScale: 0.8 }) - 0.4) < 1e-9);
    assert.equal(at({ queueScale: 1, loadScale: 0.3 }), 0.2);
    // The knob's scale is 1 at the reference and follows u / (1 − u) around it.
    assert.equal(queueScale(0.7, 0.7), 1);
    assert.ok(Math.abs(queueScale(0.9, 0.7) - 9 / (0.7 / 0.3)) < 1e-9);
    assert.ok(queueScale(0.5, 0.7) < queueScale(0.6, 0.7) && queueScale(0.8, 0.7) < queueScale(0.9, 0.7));
  });

  it('constrains nothing when the readings do not rise with x', () => {
    let fit = undefined;
    for (let i = 0; i < 400; i++) fit = addPoint(fit, 1 + (i % 40) / 20, 0.6 + (i % 3) * 0.01, 0.998);
    assert.equal(utilisationCeiling(fitLine(fit, 40), 2.4, { minSlopeT: 3, minSpreadX: 0.05, floor: 0.2 }), undefined);
  });
});

describe('report jobs that wait on the replicas', () => {
  it('are learned as a line in 1 / (1 − ρ) of the replicas, for the report workers’ slots', () => {
    // Jobs of 0.5 + 1 s / (1 − ρ) over a day's swing of replica load.
    const fit = run(replicaReadings(300, (u) => 0.5 + 1 / (1 - u))).state.replicaDependence?.reports;
    const line = fitLine(fit, 40);
    assert.ok(line, 'a trusted line');
    assert.ok(Math.abs(line.intercept - 0.5) < 0.05, `intercept ${line.intercept}`);
    assert.ok(Math.abs(line.slope - 1) < 0.05, `slope ${line.slope}`);
  });

  it('no longer size the replicas: those follow the CPU they use', () => {
    // 3.8 cores of reads at the default knob's 45 % of 2 cores → 5 replicas, whatever the jobs' curve.
    const busy = (jobSeconds: (u: number) => number) =>
      [...replicaReadings(300, jobSeconds), ...replicaReadings(40, () => jobSeconds(0.95))].map((s, i) =>
        i < 300
          ? s
          : {
              ...s,
              observedAt: T0 + i * INTERVAL_MS,
              postgres: { readQps: 1000, replicaCpuCores: 3.8, readyReplicas: 2, maxReplicaLagSeconds: 0.1 },
            },
      );
    const curved = run(busy((u) => 0.5 + 1 / (1 - u)));
    const flat = run(busy(() => 2));
    assert.equal(curved.replicas['postgres-replicas'], flat.replicas['postgres-replicas']);
    const reason = curved.decisions.findLast((d) => d.component === 'postgres-replicas')?.reason ?? '';
    assert.match(reason, /3\.8 cores of reads at 45 % of 2 cores/);
  });
});

describe('a reading taken while the fleet changes', () => {
  const podCores = cores(spec.api.resources.cpu);
  /** 200 req/s of auth on `ready` pods at utilisation `utilisation`, its p95 `p95`. */
  const reading = (i: number, ready: number, utilisation: number, p95: number): PlatformSignals => ({
    observedAt: T0 + i * INTERVAL_MS,
    windowSeconds: 60,
    api: { requestRate: { auth: 200 }, p95LatencySeconds: { auth: p95 }, cpuCores: utilisation * ready * podCores, readyPods: ready },
  });
  // auth's p95 on a settled fleet: 0.08 + 0.05 s / (1 − ρ), the load swinging ρ between 20 and 70 %.
  const settled = Array.from({ length: 300 }, (_, i) => {
    const utilisation = 0.2 + 0.5 * (0.5 + 0.5 * Math.sin(i / 20));
    return reading(i + 6, 8, utilisation, 0.08 + 0.05 / (1 - utilisation));
  });

  it('is no point of a latency curve: the window still holds what the old fleet served and queued', () => {
    // The upload deadline's start at knob 0.6 (seed 1): 4 of 7 pods ready, then 7, then 8; the
    // backlog built meanwhile drained through the next minute's p95 (25–27 s at ρ 0.56–0.89).
    const start = [
      reading(0, 4, 0.887, 25),
      reading(1, 7, 0.56, 26.8),
      reading(2, 7, 0.6, 26.7),
      reading(3, 7, 0.59, 24.2),
      reading(4, 8, 0.48, 0.19),
    ];
    const line = fitLine(run([...start, ...settled]).state.apiLatencyFit?.auth, 1);
    assert.ok(line && Math.abs(line.intercept - 0.08) < 0.005 && Math.abs(line.slope - 0.05) < 0.005, JSON.stringify(line));
  });

  it('becomes one once the ready count has held for the whole window', () => {
    // 8 pods from the 7th run on, a run every 15 s: the 7th to 10th are inside the minute, the 11th
    // and 12th are points (weight 1 × keep + 1).
    const fit = run([reading(0, 7, 0.5, 0.18), ...settled.slice(0, 6)]).state.apiLatencyFit?.auth;
    assert.equal(fit?.w, 1 * POLICY.downstreamKeep + 1);
  });
});

describe('a curve that says even idle pods miss the mark', () => {
  // auth's p95 at 0.16 + 0.021 s / (1 − ρ) (the week at knob 0.9, seed 1): 0.181 s at ρ = 0, over
  // 0.2 s × 0.9. More pods buy a little of the queueing part and none of the rest.
  let fit = undefined;
  for (let i = 0; i < 400; i++) {
    const x = 1.2 + (i % 40) / 16;
    fit = addPoint(fit, x, 0.16 + 0.021 * x + (i % 2 ? 0.004 : -0.004), 0.998);
  }
  const state: AutoscalerState = { ...initialAutoscalerState(), apiLatencyFit: { auth: fit } };
  const api = { requestRate: { auth: 50 }, p95LatencySeconds: { auth: 0.21 }, cpuCores: 5, readyPods: 20 };
  const ceilingAt = (knob: number) =>
    apiLatencyCeiling({ ...spec, autoscaling: { ...spec.autoscaling, targetUtilization: knob } }, state, api)?.utilisation;

  it('holds the 20 % floor at and below the default, and lifts it with the knob above', () => {
    assert.equal(ceilingAt(0.7), 0.2);
    assert.equal(ceilingAt(0.5), 0.2);
    // The floor's queueing factor 0.2 / 0.8 scaled like the aim: × 3.86 at 0.9 → ρ 49 %, × 8.14 at 0.95 → 67 %.
    const at = (knob: number) => {
      const q = queueScale(knob, 0.7) * 0.25;
      return q / (1 + q);
    };
    assert.ok(Math.abs((ceilingAt(0.9) ?? 0) - at(0.9)) < 1e-9 && Math.abs(at(0.9) - 0.491) < 0.001, String(ceilingAt(0.9)));
    // By hand: q(0.95) / q(0.7) = 19 / 2.333 = 8.14; 0.25 × 8.14 = 2.036 → ρ = 2.036 / 3.036 = 0.671.
    assert.ok(Math.abs((ceilingAt(0.95) ?? 0) - at(0.95)) < 1e-9 && Math.abs(at(0.95) - 0.671) < 0.001, String(ceilingAt(0.95)));
  });
});

describe('start-up time', () => {
  it('is measured from the scale-up decision to the signals showing that many ready pods', () => {
    let state = initialAutoscalerState({ api: 2 });
    let ready = 2;
    let decidedAt: number | undefined;
    let target = 2;
    for (let i = 0; i < 60; i++) {
      const now = T0 + i * INTERVAL_MS;
      // 2 pods until the scale-up, then the new ones show up 90 s after it.
      if (decidedAt !== undefined && now - decidedAt >= 90_000) ready = target;
      const signals: PlatformSignals = {
        observedAt: now,
        api: {
          requestRate: { student_queries: i < 4 ? 100 : 800 },
          p95LatencySeconds: { student_queries: 0.1 },
          cpuCores: (i < 4 ? 100 : 800) * 0.002,
          readyPods: ready,
        },
      };
      const result = autoscale(spec, state, signals, now);
      const next = result.replicas.api ?? target;
      if (next > target && decidedAt === undefined) decidedAt = now;
      target = Math.max(target, next);
      state = result.state;
    }
    assert.ok(decidedAt !== undefined, 'the API was scaled up');
    assert.equal(state.components.api?.startupSeconds, 90);
  });
});
