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
  /** Mean CPU seconds on an API pod's one thread at one full core. */
  cpuSeconds: number;
  /** Spread of that CPU (coefficient of variation of a lognormal). */
  cpuCv: number;
  /**
   * p95 of the latency that is neither the pod's CPU, nor queueing, nor replica time: network,
   * primary and Redis round trips, seconds. Lognormal, its p95 twice its median.
   */
  baseP95Seconds: number;
  /** Seconds in replica queries when the replicas are idle (stretched as they get busy). */
  replicaSeconds: number;
  /** Replica CPU seconds per request. */
  replicaCpuSeconds: number;
  /** Read queries sent to the replicas per request. */
  replicaQueries: number;
  redisOps: number;
}

export const REQUEST_COSTS: Record<SlaClass, RequestCost> = {
  // argon2id password hashing dominates a login: a fixed cost, so little spread.
  auth: { cpuSeconds: 0.03, cpuCv: 0.25, baseP95Seconds: 0.04, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 6 },
  student_queries: {
    cpuSeconds: 0.008,
    cpuCv: 1,
    baseP95Seconds: 0.06,
    replicaSeconds: 0.04,
    replicaCpuSeconds: 0.004,
    replicaQueries: 2,
    redisOps: 4,
  },
  pass_generation: {
    cpuSeconds: 0.012,
    cpuCv: 1,
    baseP95Seconds: 0.11,
    replicaSeconds: 0.01,
    replicaCpuSeconds: 0.001,
    replicaQueries: 1,
    redisOps: 4,
  },
  // Multipart parsing, magic bytes and checksum of a 5 MB body; the rest is the transfer.
  uploads: { cpuSeconds: 0.15, cpuCv: 0.5, baseP95Seconds: 0.7, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 5 },
  analytics: {
    cpuSeconds: 0.02,
    cpuCv: 1,
    baseP95Seconds: 0.16,
    replicaSeconds: 0.2,
    replicaCpuSeconds: 0.03,
    replicaQueries: 3,
    redisOps: 3,
  },
  // POST /reports only enqueues; the work is the job.
  reports: { cpuSeconds: 0.005, cpuCv: 1, baseP95Seconds: 0.04, replicaSeconds: 0, replicaCpuSeconds: 0, replicaQueries: 0, redisOps: 6 },
};

export interface JobCost {
  meanSeconds: number;
  /** Spread of the duration (coefficient of variation of a lognormal). */
  durationCv: number;
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
    durationCv: 0.55,
    cpuAtFullBusy: 0.85,
    replicaCores: 0,
    replicaShare: 0,
    retryShare: 0.05,
    retryDelaySeconds: 30,
    bytesQueued: 4096,
  },
  reports: {
    meanSeconds: 1.5,
    durationCv: 0.55,
    cpuAtFullBusy: 0.8,
    replicaCores: 0.5,
    replicaShare: 0.6,
    retryShare: 0.02,
    retryDelaySeconds: 30,
    bytesQueued: 8192,
  },
};

/**
 * Seconds from a pod being scheduled on a node to its process serving (image pull, start, readiness
 * probe), drawn uniformly per pod. Postgres replicas and Redis shards add their data's copy to this
 * (`replicaStartSeconds`, `reshardSeconds`); API and worker pods add the wait for a node when the
 * cluster is full (`APP_NODES`).
 */
export const POD_START_SECONDS: Record<Component, readonly [number, number]> = {
  api: [15, 35],
  'worker-uploads': [10, 25],
  'worker-reports': [10, 25],
  'postgres-replicas': [20, 40],
  'redis-shards': [15, 30],
};

/** The node pool API and worker pods run on, and how the cluster autoscaler grows and shrinks it. */
export const APP_NODES = {
  /** Allocatable cores of one node (a 4-vCPU VM less the kubelet's and system reserve). */
  allocatableCores: 3.8,
  /** From a pod found unschedulable to its new node Ready (scan, VM boot, kubelet join). */
  provisionSeconds: [60, 150] as const,
  /** A node whose pods fit on the others for this long is removed (cluster-autoscaler's default). */
  unneededSeconds: 600,
};

/**
 * Cores one API process can use: its pods have a CPU request and no CPU limit, so a pod bursts into
 * its node's unrequested cores, but Node.js runs request handlers on one thread.
 */
export const API_PROCESS_MAX_CORES = 1;

/** p95 / median of the part of a request's latency that is not queueing (lognormal). */
export const BASE_LATENCY_P95_OVER_MEDIAN = 2;

/** The database a read replica clones: pg_basebackup streams it, then the replica replays the WAL written meanwhile. */
export const DATABASE = {
  sizeBytes: 16 * 2 ** 30,
  baseBackupBytesPerSecond: [60 * 2 ** 20, 120 * 2 ** 20] as const,
  walBytesPerSecond: 2 * 2 ** 20,
  replayBytesPerSecond: 40 * 2 ** 20,
  /** Server connections each Pooler may open to one instance: max_connections 200 less 20 reserved. */
  serverConnections: 180,
  /** Read queries one report job sends. */
  reportQueriesPerJob: 6,
};

/** Seconds until a new read replica serves: its pod starts, pg_basebackup copies the database, it replays the WAL written meanwhile. */
export function replicaStartSeconds(podStart: number, bytesPerSecond: number): number {
  const backup = DATABASE.sizeBytes / bytesPerSecond;
  const catchUp = (backup * DATABASE.walBytesPerSecond) / (DATABASE.replayBytesPerSecond - DATABASE.walBytesPerSecond);
  return podStart + backup + catchUp;
}

/** Redis: one shard's command rate when its single thread is saturated, its keys, and how fast a reshard moves them. */
export const REDIS_MODEL = {
  opsPerShard: 60_000,
  opsPerJob: 10,
  baseMemoryBytes: 250 * 2 ** 20,
  /** Mean service time of one command, seconds. */
  secondsPerOp: 0.0002,
  keys: 3_000_000,
  /** Keys `redis-cli --cluster reshard` moves per second (MIGRATE in pipelines of 10). */
  migrateKeysPerSecond: 8_000,
};

/** Seconds until shard number `shards` (counting from 1) serves: its pod starts, then a reshard moves it its share of the keys. */
export function reshardSeconds(podStart: number, shards: number): number {
  return podStart + REDIS_MODEL.keys / Math.max(1, shards) / REDIS_MODEL.migrateKeysPerSecond;
}

/** The SLA class a queue's jobs are held to, from enqueue to done. */
export const QUEUE_SLA_CLASS: Record<WorkerQueue, SlaClass> = { uploads: 'uploads', reports: 'reports' };

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
