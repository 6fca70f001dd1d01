/**
 * The stored autoscaler state over more than a week of operation at the spec's 15-second interval:
 * the ConfigMap document stays within 32 KiB once the seasonal memory is full, it comes back as the
 * state that was stored, and it is written only when something durable changed — a few hundred
 * times a day, not on each of the day's 5,760 runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type Component, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { decodeState, durableKey, encodeState, STATE_SIZE_LIMIT_BYTES } from './state-codec.js';
import type { AutoscalerState, ComponentMemory, PlatformSignals } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const INTERVAL_MS = spec.autoscaling.intervalSeconds * 1000;
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 2, 2, 0, 0);

/** Reproducible noise in [0, 1) (a linear congruential generator: the test needs no quality, only repeatability). */
function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A weekday-shaped day (morning and noon peaks) with ±10 % noise, the whole platform in proportion. */
function signalsAt(now: number, noise: () => number): PlatformSignals {
  const hour = ((now - T0) % DAY_MS) / 3_600_000;
  const peak = (at: number, width: number) => Math.exp(-(((hour - at) / width) ** 2));
  const load = (0.2 + peak(8, 1) + 0.7 * peak(12.5, 1.5)) * (1 + 0.1 * (noise() - 0.5) * 2);
  const rate = 400 * load;
  return {
    observedAt: now,
    api: {
      requestRate: { auth: rate * 0.05, student_queries: rate * 0.7, pass_generation: rate * 0.2, analytics: rate * 0.05 },
      p95LatencySeconds: { auth: 0.1, student_queries: 0.12, pass_generation: 0.15, analytics: 0.4 },
      cpuCores: rate * 0.01,
      readyPods: 10,
    },
    queues: {
      uploads: {
        waiting: Math.round(4 * load),
        prioritized: 0,
        arrivalRate: 3 * load,
        meanJobDurationSeconds: 0.6,
        p95JobDurationSeconds: 1.2,
        oldestWaitingAgeSeconds: 0.3,
      },
      reports: {
        waiting: Math.round(load),
        prioritized: 0,
        arrivalRate: 0.2 * load,
        meanJobDurationSeconds: 1.5,
        p95JobDurationSeconds: 3,
        oldestWaitingAgeSeconds: 0.5,
      },
    },
    postgres: { readQps: 800 * load, replicaCpuCores: 2 * load, maxReplicaLagSeconds: 0.2, readyReplicas: 2 },
    redis: {
      totalMemoryBytes: 300 * 2 ** 20,
      maxShardMemoryBytes: 100 * 2 ** 20,
      shardMaxMemoryBytes: 460 * 2 ** 20,
      opsPerSecond: 4000 * load,
      readyShards: 3,
    },
  };
}

describe('the stored autoscaler state', () => {
  it('stays under 32 KiB over 8.5 days, decodes to what was stored, and is written only when it changes', () => {
    const noise = seeded(7);
    let state: AutoscalerState = initialAutoscalerState({
      api: 2,
      'worker-uploads': 1,
      'worker-reports': 1,
      'postgres-replicas': 1,
      'redis-shards': 3,
    });
    let writtenKey = '';
    let largest = 0;
    const writesPerDay: number[] = [];
    const runs = Math.round((8.5 * DAY_MS) / INTERVAL_MS);
    for (let i = 0; i < runs; i++) {
      const now = T0 + i * INTERVAL_MS;
      state = autoscale(spec, state, signalsAt(now, noise), now).state;
      const key = durableKey(state);
      if (key !== writtenKey) {
        writtenKey = key;
        const day = Math.floor((now - T0) / DAY_MS);
        writesPerDay[day] = (writesPerDay[day] ?? 0) + 1;
      }
      if (i % 240 === 0) largest = Math.max(largest, Buffer.byteLength(encodeState(state)));
    }
    const text = encodeState(state);
    largest = Math.max(largest, Buffer.byteLength(text));
    assert.ok(largest <= STATE_SIZE_LIMIT_BYTES, `largest stored state ${largest} bytes`);
    assert.ok(Buffer.byteLength(JSON.stringify(state)) > STATE_SIZE_LIMIT_BYTES, 'the seasonal memory is full: plain JSON would not fit');

    // A write per closed 5-minute bucket (288 a day) plus scaling: far below the day's 5,760 runs.
    for (const [day, writes] of writesPerDay.entries()) assert.ok((writes ?? 0) <= 500, `day ${day}: ${writes} writes`);

    const decoded = decodeState(text);
    assert.ok(decoded);
    assert.equal(durableKey(decoded), durableKey(state));
    for (const [name, memory] of Object.entries(state.components) as [Component, ComponentMemory][]) {
      const back: ComponentMemory | undefined = decoded.components[name];
      assert.deepEqual(back?.recommendations, memory.recommendations);
      const seasonal = memory.seasonal;
      assert.ok(seasonal && back?.seasonal);
      let held = 0;
      seasonal.ids.forEach((id, slot) => {
        if (id < seasonal.openId - seasonal.ids.length) return;
        held++;
        assert.equal(back.seasonal?.ids[slot], id, `${name} slot ${slot}`);
        const mean = seasonal.means[slot] ?? 0;
        assert.ok(
          Math.abs((back.seasonal?.means[slot] ?? 0) - mean) <= 0.005 * mean,
          `${name} slot ${slot}: ${back.seasonal?.means[slot]} for ${mean}`,
        );
      });
      assert.equal(held, seasonal.ids.length, `${name}: the whole ring is held after 8.5 days`);
    }
    // A policy run from the decoded state decides as from the original.
    const now = T0 + runs * INTERVAL_MS;
    const signals = signalsAt(now, seeded(1));
    assert.deepEqual(autoscale(spec, decoded, signals, now).replicas, autoscale(spec, state, signals, now).replicas);
  });

  it('refuses a document of another format instead of misreading it', () => {
    assert.equal(decodeState('{"version":1,"components":{}}'), undefined);
    assert.equal(decodeState('not json'), undefined);
    assert.equal(
      decodeState(
        JSON.stringify({
          version: 2,
          components: { api: { replicas: 2, recommendations: [], recent: [], seasonal: { slots: 4, means: 'AA' } } },
        }),
      ),
      undefined,
    );
  });
});
