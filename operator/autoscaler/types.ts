/**
 * What the autoscaler reads and what it remembers between runs. Signals come from Prometheus
 * (operator/autoscaling/signals) in production and from the queueing model in the simulator; both produce
 * this shape, so the policy cannot tell them apart. Every value is optional: a query that returned
 * nothing is `undefined`, never zero, because zero load and unknown load must scale differently.
 */
import type { SlaClass } from '../../core/sla.js';
import type { Component, ScalingDecisionRecord, WorkerQueue } from '../../platform-api/v1alpha1/index.js';
import type { WeightedFit } from './downstream.js';

export interface ApiSignals {
  /** Requests per second per SLA class (routes outside every SLA excluded). */
  requestRate?: Partial<Record<SlaClass, number>>;
  /** p95 latency per SLA class over the query window, seconds. */
  p95LatencySeconds?: Partial<Record<SlaClass, number>>;
  /** 5xx responses / all responses. */
  errorRatio?: number;
  /** CPU the API pods use together, in cores (rate of process_cpu_seconds_total). */
  cpuCores?: number;
  /** Resident memory of the largest API pod, bytes. */
  maxMemoryBytes?: number;
  /** API processes Prometheus currently scrapes. */
  readyPods?: number;
  /** Open real-time (WebSocket + SSE) connections over all API pods. */
  realtimeConnections?: number;
  /** The most connections one API pod accepts (REALTIME_MAX_CONNECTIONS, bounded by its memory and file descriptors). */
  realtimeMaxConnectionsPerPod?: number;
}

export interface QueueSignals {
  /** Jobs in BullMQ's `wait` list. */
  waiting?: number;
  /** Jobs with a priority, kept in BullMQ's `prioritized` set rather than `wait`. */
  prioritized?: number;
  /** Jobs scheduled for later (delays, retry backoff). */
  delayed?: number;
  active?: number;
  /** Jobs added per second. */
  arrivalRate?: number;
  /** Jobs finished per second. */
  completionRate?: number;
  /** Age of the oldest job still waiting, seconds. */
  oldestWaitingAgeSeconds?: number;
  /** Mean job duration over the window, seconds. */
  meanJobDurationSeconds?: number;
  /** p95 job duration over the window, seconds. */
  p95JobDurationSeconds?: number;
  readyPods?: number;
}

export interface PostgresSignals {
  /** Queries per second served by the read replicas together. */
  readQps?: number;
  /** CPU the read replicas use together, in cores. */
  replicaCpuCores?: number;
  /** Worst replication lag among the replicas, seconds. */
  maxReplicaLagSeconds?: number;
  /** Connections in use / pool maximum over all pools. */
  connectionUseRatio?: number;
  readyReplicas?: number;
}

export interface RedisSignals {
  /** Memory used by the fullest shard primary, bytes. */
  maxShardMemoryBytes?: number;
  /** Memory used by all shard primaries together, bytes. */
  totalMemoryBytes?: number;
  /** maxmemory of one shard, bytes. */
  shardMaxMemoryBytes?: number;
  /** Commands per second over all shards. */
  opsPerSecond?: number;
  readyShards?: number;
}

export type SignalSource = 'api' | 'queues' | 'postgres' | 'redis';

/** One reading of every signal; `observedAt` (epoch ms) is when its newest sample was scraped. */
export interface PlatformSignals {
  observedAt: number;
  /**
   * The window of the rate() and quantile queries, seconds: a rate or p95 describes the requests
   * and jobs of that span, not of the instant.
   */
  windowSeconds?: number;
  /**
   * When each source's newest sample was scraped (epoch ms). A source whose exporter stopped
   * being scraped goes stale on its own: its components hold while the others keep scaling.
   */
  sampledAt?: Partial<Record<SignalSource, number>>;
  api?: ApiSignals;
  queues?: Partial<Record<WorkerQueue, QueueSignals>>;
  postgres?: PostgresSignals;
  redis?: RedisSignals;
}

/** Mean load seen in fixed time buckets, kept for a week and a day to forecast daily and weekly patterns. */
export interface SeasonalMemory {
  bucketMs: number;
  /** Ring indexed by bucket number modulo its length; `ids` says which bucket a slot holds. */
  ids: number[];
  means: number[];
  /** The bucket being filled: id, running sum and count. */
  openId: number;
  openSum: number;
  openCount: number;
}

export interface LoadSample {
  at: number;
  load: number;
}

export interface Recommendation {
  at: number;
  replicas: number;
}

/** What the autoscaler remembers about one component. */
export interface ComponentMemory {
  replicas: number;
  lastScaleUpAt?: number;
  lastScaleDownAt?: number;
  /** Recommendations inside the scale-down window that may still be its highest (which bounds a scale-down). */
  recommendations: Recommendation[];
  /** Set while the connection budget refuses the size this component needs (the refusal is reported once). */
  budgetRefused?: boolean;
  /** Recent load samples for the short-term trend. */
  recent: LoadSample[];
  /** Seconds from a scale-up decision to that many replicas ready, learned and smoothed (startup.ts). */
  startupSeconds?: number;
  /** The scale-up being followed: when it was decided and to how many replicas. */
  awaitingReady?: { since: number; replicas: number };
  /** The ready count the signals showed last, and since when they have shown it (estimates.ts settled). */
  readySince?: { ready: number; since: number };
  seasonal?: SeasonalMemory;
}

/** State the caller persists between runs; bounded in size. */
export interface AutoscalerState {
  version: 1;
  components: Partial<Record<Component, ComponentMemory>>;
  /** Latency per SLA class seen at low utilisation: the part of p95 that adding pods cannot remove. */
  baseLatencySeconds: Partial<Record<SlaClass, number>>;
  /** CPU seconds per API request, smoothed. */
  apiCpuSecondsPerRequest?: number;
  /** Mean job duration per queue, smoothed. */
  jobDurationSeconds: Partial<Record<WorkerQueue, number>>;
  /** Replica CPU seconds per read query, smoothed. */
  postgresCpuSecondsPerQuery?: number;
  /** Per queue: mean job duration against the read replicas' 1 / (1 − utilisation) (downstream.ts). */
  replicaDependence?: Partial<Record<WorkerQueue, WeightedFit>>;
  /** Per SLA class: its p95 latency against the API pods' 1 / (1 − CPU utilisation of their request) (downstream.ts). */
  apiLatencyFit?: Partial<Record<SlaClass, WeightedFit>>;
  /** Per queue: p95 job duration / mean job duration, smoothed (how far the tail sits above the mean). */
  jobP95OverMean?: Partial<Record<WorkerQueue, number>>;
}

export interface AutoscalerResult {
  replicas: Partial<Record<Component, number>>;
  decisions: ScalingDecisionRecord[];
  state: AutoscalerState;
}

/** What sizing found a component needs, before stabilisation. */
export interface Need {
  /** Undefined when the signals were missing or stale: the component then holds (or only grows). */
  replicas?: number;
  /**
   * Replicas needed without the surge allowance. Scaling up starts only when current falls below
   * this (the band between it and `replicas` absorbs noise), and then goes to `replicas`.
   */
  minimum?: number;
  /** Set when a signal shows the SLA is being missed right now, so scaling up must not wait. */
  urgent?: boolean;
  reason: string;
  signals: Record<string, number>;
}
