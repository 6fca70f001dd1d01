/**
 * What the simulated platform is made of and what its requests and jobs cost. Latency targets
 * come from the SLA catalog; the costs below are estimates for this code base (see the README's
 * "Model" section): CPU per request on a 500m API pod, the part of the p95 that is not queueing
 * (network, database round trips), and read load on the replicas.
 */
import type { SlaClass } from '../core/sla.js';
import {
  DEFAULT_API,
  DEFAULT_AUTOSCALING,
  DEFAULT_MANAGED_DATABASE,
  DEFAULT_MANAGED_REDIS,
  DEFAULT_SPEC,
  DEFAULT_WORKERS,
  type Component,
  type PassPlatformSpec,
  type WorkerQueue,
} from '../platform-api/v1alpha1/index.js';

export interface RequestCost {
  /** CPU seconds on an API pod. */
  cpuSeconds: number;
  /** p95 latency with no queueing anywhere, seconds. */
  baseP95Seconds: number;
  /** Seconds of that spent in replica queries (stretched when replicas are busy). */
  replicaSeconds: number;
  /** Replica CPU seconds per request. */
  replicaCpuSeconds: number;
  /** Read queries sent to the replicas per request. */
  replicaQueries: number;
  redisOps: number;
}

export const REQUEST_COSTS: Record<SlaClass, RequestCost> = {
  // argon2id password hashing dominates a login.
  auth: { cpuSeconds: 0.03, baseP95Seconds: 0.11, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 6 },
  student_queries: {
    cpuSeconds: 0.008,
    baseP95Seconds: 0.12,
    replicaSeconds: 0.04,
    replicaCpuSeconds: 0.004,
    replicaQueries: 2,
    redisOps: 4,
  },
  pass_generation: {
    cpuSeconds: 0.012,
    baseP95Seconds: 0.15,
    replicaSeconds: 0.01,
    replicaCpuSeconds: 0.001,
    replicaQueries: 1,
    redisOps: 4,
  },
  // Multipart parsing, magic bytes and checksum of a 5 MB body; the rest is the transfer.
  uploads: { cpuSeconds: 0.15, baseP95Seconds: 1, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 5 },
  analytics: { cpuSeconds: 0.02, baseP95Seconds: 0.4, replicaSeconds: 0.2, replicaCpuSeconds: 0.03, replicaQueries: 3, redisOps: 3 },
  // POST /reports only enqueues; the work is the job.
  reports: { cpuSeconds: 0.005, baseP95Seconds: 0.05, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 6 },
};

export interface JobCost {
  meanSeconds: number;
  /** p95 / mean of the job duration. */
  p95Factor: number;
  /** Share of a worker pod's CPU request in use when every slot is busy. */
  cpuAtFullBusy: number;
  /** Replica cores a running job keeps busy. */
  replicaCores: number;
  /** Share of the duration spent waiting on replica queries. */
  replicaShare: number;
  /** Share of jobs that fail once and come back after the retry backoff (BullMQ `delayed`). */
  retryShare: number;
  retryDelaySeconds: number;
  /** Redis memory a queued job holds. */
  bytesQueued: number;
}

export const JOB_COSTS: Record<WorkerQueue, JobCost> = {
  uploads: {
    meanSeconds: 0.6,
    p95Factor: 2,
    cpuAtFullBusy: 0.85,
    replicaCores: 0,
    replicaShare: 0,
    retryShare: 0.05,
    retryDelaySeconds: 30,
    bytesQueued: 4096,
  },
  reports: {
    meanSeconds: 1.5,
    p95Factor: 2,
    cpuAtFullBusy: 0.8,
    replicaCores: 0.5,
    replicaShare: 0.6,
    retryShare: 0.02,
    retryDelaySeconds: 30,
    bytesQueued: 8192,
  },
};

/** Seconds from "scale up" until a replica serves, drawn uniformly from the range per start. */
export const STARTUP_SECONDS: Record<Component, readonly [number, number]> = {
  api: [20, 40],
  'worker-uploads': [15, 25],
  'worker-reports': [15, 25],
  'postgres-replicas': [180, 300],
  'redis-shards': [180, 300],
};

/** Redis: one single-threaded shard's command rate, and what every deployment keeps in memory. */
export const REDIS_MODEL = { opsPerShard: 80_000, opsPerJob: 10, baseMemoryBytes: 250 * 2 ** 20, secondsPerOp: 0.0002 };

/** Daytime request mix on a normal weekday, req/s per class: the "typical" load traces scale. */
export const TYPICAL_MIX: Record<SlaClass, number> = {
  auth: 30,
  student_queries: 360,
  pass_generation: 120,
  uploads: 3,
  analytics: 24,
  reports: 6,
};

/** Mean CPU seconds per request of the typical mix. */
export const TYPICAL_CPU_PER_REQUEST =
  Object.entries(TYPICAL_MIX).reduce((s, [c, rate]) => s + rate * REQUEST_COSTS[c as SlaClass].cpuSeconds, 0) /
  Object.values(TYPICAL_MIX).reduce((s, rate) => s + rate, 0);

/** Job arrivals per second on a normal weekday. */
export const TYPICAL_JOBS: Record<WorkerQueue, number> = { uploads: 3, reports: 0.3 };

/**
 * The PassPlatform the simulator runs: the CRD defaults, with room to grow for the seed's peak
 * (5,000 req/s) and report bursts. Every policy gets the same spec.
 */
export const SIMULATED_SPEC: PassPlatformSpec = {
  ...DEFAULT_SPEC,
  image: 'passplatform/app:simulated',
  version: 'simulated',
  api: { ...DEFAULT_API, maxReplicas: 60 },
  workers: { uploads: DEFAULT_WORKERS.uploads, reports: { ...DEFAULT_WORKERS.reports, maxReplicas: 10 } },
  database: {
    mode: 'managed',
    managed: { ...DEFAULT_MANAGED_DATABASE, readReplicas: { minReplicas: 1, maxReplicas: 6 }, resources: { cpu: '2', memory: '4Gi' } },
  },
  redis: { mode: 'managed', managed: DEFAULT_MANAGED_REDIS },
  autoscaling: DEFAULT_AUTOSCALING,
};
