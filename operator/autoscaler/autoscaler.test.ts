import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { COMPONENTS, DEFAULT_SPEC, type Component, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale, initialAutoscalerState, scaledComponents, signalLagSeconds } from './autoscaler.js';
import { erlangC, minServers, waitQuantile } from './erlang.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const T0 = Date.UTC(2025, 2, 3, 9, 0);
const INTERVAL_MS = spec.autoscaling.intervalSeconds * 1000;

/** A consistent reading of the whole platform at `load` × the typical weekday. */
function signalsAt(load: number, observedAt: number): PlatformSignals {
  const rate = 500 * load;
  return {
    observedAt,
    api: {
      requestRate: { auth: rate * 0.05, student_queries: rate * 0.7, pass_generation: rate * 0.2, analytics: rate * 0.05 },
      p95LatencySeconds: { auth: 0.12, student_queries: 0.15, pass_generation: 0.17, analytics: 0.45 },
      cpuCores: rate * 0.01,
      readyPods: 10,
    },
    queues: {
      uploads: {
        waiting: Math.round(5 * load),
        prioritized: 0,
        arrivalRate: 3 * load,
        meanJobDurationSeconds: 0.6,
        p95JobDurationSeconds: 1.2,
        oldestWaitingAgeSeconds: 0.2,
      },
      reports: {
        waiting: Math.round(2 * load),
        prioritized: 0,
        arrivalRate: 0.3 * load,
        meanJobDurationSeconds: 1.5,
        p95JobDurationSeconds: 3,
        oldestWaitingAgeSeconds: 0.5,
      },
    },
    postgres: { readQps: 1000 * load, replicaCpuCores: 2.5 * load, maxReplicaLagSeconds: 0.2, readyReplicas: 2 },
    redis: {
      totalMemoryBytes: 300 * 2 ** 20 * load,
      maxShardMemoryBytes: 100 * 2 ** 20 * load,
      shardMaxMemoryBytes: 460 * 2 ** 20,
      opsPerSecond: 4000 * load,
      readyShards: 3,
    },
  };
}

function run(
  loads: readonly number[],
  state?: AutoscalerState,
): { state: AutoscalerState; replicas: Partial<Record<Component, number>>[] } {
  let current = state;
  const replicas: Partial<Record<Component, number>>[] = [];
  loads.forEach((load, i) => {
    const now = T0 + i * INTERVAL_MS;
    const result = autoscale(spec, current, signalsAt(load, now), now);
    current = result.state;
    replicas.push(result.replicas);
  });
  return { state: current as AutoscalerState, replicas };
}

const ranges = scaledComponents(spec);

describe('Erlang C', () => {
  it('matches the textbook value for 2 servers at offered load 1 (C = 1/3)', () => {
    assert.ok(Math.abs(erlangC(2, 1, 1) - 1 / 3) < 1e-12);
  });

  it('sizes the fewest servers that keep the p95 wait within budget', () => {
    const servers = minServers(90, 10, 0.05, { limit: 100 });
    assert.ok(waitQuantile(servers, 90, 10) <= 0.05);
    assert.ok(waitQuantile(servers - 1, 90, 10) > 0.05);
  });
});

describe('autoscale', () => {
  it('scales the API up at once when load triples, and says why with the numbers it used', () => {
    const { replicas, state } = run([1, 1, 1, 1]);
    const before = replicas.at(-1)?.api ?? 0;
    const now = T0 + 4 * INTERVAL_MS;
    const result = autoscale(spec, state, signalsAt(3, now), now);
    assert.ok((result.replicas.api ?? 0) > before);
    const decision = result.decisions.find((d) => d.component === 'api');
    assert.ok(decision);
    assert.equal(decision.from, before);
    assert.match(decision.reason, /req\/s/);
    assert.match(decision.reason, /Erlang C/);
    assert.equal(decision.signals.requestRate, 1500);
  });

  it('holds every component when the signals are older than four intervals', () => {
    const { state } = run([2, 2, 2]);
    const now = T0 + 3 * INTERVAL_MS;
    const stale = signalsAt(0.01, now - 5 * INTERVAL_MS);
    const result = autoscale(spec, state, stale, now);
    for (const component of COMPONENTS) {
      if (state.components[component]) assert.equal(result.replicas[component], state.components[component]?.replicas);
    }
    assert.deepEqual(result.decisions, []);
  });

  it('drains a prioritized backlog that a `wait`-list trigger cannot see', () => {
    const { state, replicas } = run([1, 1, 1]);
    const now = T0 + 3 * INTERVAL_MS;
    const signals = signalsAt(1, now);
    signals.queues = {
      ...signals.queues,
      reports: { waiting: 0, prioritized: 600, arrivalRate: 0.3, meanJobDurationSeconds: 1.5, oldestWaitingAgeSeconds: 20 },
    };
    const result = autoscale(spec, state, signals, now);
    assert.ok((result.replicas['worker-reports'] ?? 0) > (replicas.at(-1)?.['worker-reports'] ?? 0));
  });

  it('waits for the whole stabilisation window before scaling down', () => {
    const high = run(Array.from({ length: 10 }, () => 3));
    const peak = high.replicas.at(-1)?.api ?? 0;
    const windowRuns = spec.autoscaling.scaleDownStabilizationSeconds / spec.autoscaling.intervalSeconds;
    let state = high.state;
    const seen: number[] = [];
    for (let i = 0; i < windowRuns + 4; i++) {
      const now = T0 + (10 + i) * INTERVAL_MS;
      const result = autoscale(spec, state, signalsAt(0.5, now), now);
      state = result.state;
      seen.push(result.replicas.api ?? 0);
    }
    assert.ok(
      seen.slice(0, windowRuns - 1).every((r) => r === peak),
      `held at ${peak} inside the window: ${seen.join(',')}`,
    );
    assert.ok((seen.at(-1) ?? peak) < peak);
  });

  it('forecasts a ramp as far ahead as its signals lag: half their rate() window', () => {
    // A 10 s window lags the load by ~5 s, the 1-minute default by ~30 s; the forecast horizon
    // (start-up + interval + lag) is that much shorter, so the same ramp plans for less. Compared
    // on the last run's need (the stabiliser's latest recommendation), not the pods running: those
    // depend on which runs crossed the scale-up trigger on the way.
    const ramp = Array.from({ length: 16 }, (_, i) => 0.2 + i * 0.05);
    const apiAt = (windowSeconds: number | undefined): number => {
      let state: AutoscalerState | undefined;
      ramp.forEach((load, i) => {
        const now = T0 + i * INTERVAL_MS;
        state = autoscale(spec, state, { ...signalsAt(load, now), windowSeconds }, now).state;
      });
      return state?.components.api?.recommendations.at(-1)?.replicas ?? 0;
    };
    assert.equal(signalLagSeconds({ windowSeconds: 10 }), 5);
    assert.equal(signalLagSeconds({}), 30);
    assert.equal(apiAt(undefined), apiAt(60));
    assert.ok(apiAt(10) < apiAt(60), `10 s window: ${apiAt(10)} pods needed, 60 s: ${apiAt(60)}`);
  });
});

describe('autoscale properties', () => {
  const loadArb = fc.double({ min: 0, max: 20, noNaN: true });

  it('never leaves the spec min/max, whatever the signals', () => {
    fc.assert(
      fc.property(fc.array(loadArb, { minLength: 1, maxLength: 30 }), (loads) => {
        for (const step of run(loads).replicas) {
          for (const [component, replicas] of Object.entries(step) as [Component, number][]) {
            const range = ranges[component];
            assert.ok(range && replicas >= range.minReplicas && replicas <= range.maxReplicas, `${component}=${replicas}`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('never scales down when signals go missing', () => {
    const missing = fc.constantFrom<(s: PlatformSignals) => PlatformSignals>(
      (s) => ({ observedAt: s.observedAt }),
      (s) => ({ ...s, api: { ...s.api, requestRate: undefined }, queues: {}, postgres: {}, redis: {} }),
      (s) => ({ ...s, api: {}, queues: { uploads: {}, reports: {} }, postgres: { maxReplicaLagSeconds: 0.1 }, redis: { readyShards: 3 } }),
    );
    fc.assert(
      fc.property(fc.array(loadArb, { minLength: 1, maxLength: 15 }), missing, fc.integer({ min: 1, max: 40 }), (loads, drop, gaps) => {
        let { state } = run(loads);
        for (let i = 0; i < gaps; i++) {
          const now = T0 + (loads.length + i) * INTERVAL_MS;
          const result = autoscale(spec, state, drop(signalsAt(0, now)), now);
          for (const [component, replicas] of Object.entries(result.replicas) as [Component, number][]) {
            assert.ok(replicas >= (state.components[component]?.replicas ?? 0), `${component} went down on missing data`);
          }
          state = result.state;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does not flap on a noisy flat load', () => {
    const windowRuns = spec.autoscaling.scaleDownStabilizationSeconds / spec.autoscaling.intervalSeconds;
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 8, noNaN: true }),
        fc.array(fc.double({ min: -0.1, max: 0.1, noNaN: true }), { minLength: 480, maxLength: 480 }),
        (level, noise) => {
          // Two hours at one level with ±10 % noise per reading. After settling (10 minutes), a change
          // in one direction is never followed by one in the other within a stabilisation window.
          const { replicas } = run(noise.map((n) => level * (1 + n)));
          for (const component of Object.keys(ranges) as Component[]) {
            const settled = replicas.slice(40).map((r) => r[component] ?? 0);
            const changes: { at: number; direction: number }[] = [];
            for (let i = 1; i < settled.length; i++) {
              const direction = Math.sign((settled[i] ?? 0) - (settled[i - 1] ?? 0));
              if (direction !== 0) changes.push({ at: i, direction });
            }
            for (let i = 1; i < changes.length; i++) {
              const [a, b] = [changes[i - 1], changes[i]] as [{ at: number; direction: number }, { at: number; direction: number }];
              if (a.direction !== b.direction)
                assert.ok(b.at - a.at >= windowRuns, `${component} reversed after ${b.at - a.at} runs: ${settled.join(',')}`);
            }
            assert.ok(changes.length <= 6, `${component} changed ${changes.length} times in two flat hours`);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('is monotone in load: more load from the same state never yields fewer replicas', () => {
    fc.assert(
      fc.property(
        fc.array(loadArb, { minLength: 0, maxLength: 10 }),
        loadArb,
        fc.double({ min: 1, max: 5, noNaN: true }),
        (history, load, factor) => {
          const { state } = run(history);
          const now = T0 + history.length * INTERVAL_MS;
          const lower = autoscale(spec, history.length ? state : initialAutoscalerState(), signalsAt(load, now), now);
          const higher = autoscale(spec, history.length ? state : initialAutoscalerState(), signalsAt(load * factor, now), now);
          for (const component of Object.keys(ranges) as Component[]) {
            assert.ok(
              (higher.replicas[component] ?? 0) >= (lower.replicas[component] ?? 0),
              `${component}: ${lower.replicas[component]} at ${load}, ${higher.replicas[component]} at ${load * factor}`,
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
