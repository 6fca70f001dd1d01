/**
 * A whole platform through weekdays, as collect.ts delivers its signals, for tests that run the
 * autoscaler over days: load with morning and noon peaks, and latencies that grow with how busy
 * the pods are, so the policy learns its curves from them as it would on a cluster.
 */
import type { PlatformSignals } from '../operator/autoscaler/index.js';

const DAY_MS = 86_400_000;

/** Reproducible noise in [0, 1) (a linear congruential generator: the test needs no quality, only repeatability). */
export function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Pods and read replicas serving: the API's are 0.5-core pods, the replicas 1-core instances (the default spec). */
export interface Serving {
  apiPods: number;
  readReplicas: number;
}

/**
 * A weekday-shaped day (morning and noon peaks) with ±10 % noise, the whole platform in
 * proportion. Auth's p95 and report jobs slow down as the API pods and the read replicas
 * `serving` get busy, so the policy learns both kinds of curve.
 */
export function signalsAt(now: number, noise: () => number, serving: Serving = { apiPods: 10, readReplicas: 2 }): PlatformSignals {
  const hour = (now % DAY_MS) / 3_600_000;
  const peak = (at: number, width: number) => Math.exp(-(((hour - at) / width) ** 2));
  const jitter = () => 1 + 0.1 * (noise() - 0.5) * 2;
  const load = (0.2 + peak(8, 1) + 0.7 * peak(12.5, 1.5)) * jitter();
  const rate = 400 * load;
  const apiX = 1 / (1 - Math.min(0.97, (rate * 0.01) / (serving.apiPods * 0.5)));
  const replicaX = 1 / (1 - Math.min(0.97, (2 * load) / serving.readReplicas));
  const reportSeconds = (0.5 + 0.3 * replicaX) * jitter();
  return {
    observedAt: now,
    api: {
      requestRate: { auth: rate * 0.05, student_queries: rate * 0.7, pass_generation: rate * 0.2, analytics: rate * 0.05 },
      p95LatencySeconds: { auth: (0.04 + 0.02 * apiX) * jitter(), student_queries: 0.12, pass_generation: 0.15, analytics: 0.4 },
      cpuCores: rate * 0.01,
      readyPods: serving.apiPods,
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
        completionRate: 0.2 * load,
        meanJobDurationSeconds: reportSeconds,
        p95JobDurationSeconds: 2 * reportSeconds * jitter(),
        oldestWaitingAgeSeconds: 0.5,
      },
    },
    postgres: { readQps: 800 * load, replicaCpuCores: 2 * load, maxReplicaLagSeconds: 0.2, readyReplicas: serving.readReplicas },
    redis: {
      totalMemoryBytes: 300 * 2 ** 20,
      maxShardMemoryBytes: 100 * 2 ** 20,
      shardMaxMemoryBytes: 460 * 2 ** 20,
      opsPerSecond: 4000 * load,
      readyShards: 3,
    },
  };
}
