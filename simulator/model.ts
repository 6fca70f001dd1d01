/**
 * A model of one PassPlatform in 5 s steps, written from how the platform runs, not from the
 * autoscaler (it imports nothing from operator/autoscaler; eslint.config.js refuses it):
 * - API: every ready pod has its own queue behind a round-robin Service. Requests are simulated one
 *   by one (arrival, lognormal CPU, FIFO wait on their pod) on a few tracked pods that stand for
 *   all of them; a pod serves at its CPU request plus the node's unrequested cores it can burst
 *   into, at most one core (one Node.js thread). Requests that would wait 30 s are dropped.
 * - Latency = queueing on the pod + CPU + a lognormal base (network, hashing) + read-replica time
 *   stretched by their load (processor sharing) + waits for a Pooler connection and for Redis.
 *   It is exported through the API's own histogram buckets (core/sla.ts), as Prometheus scrapes it.
 * - Workers: BullMQ as it is (`wait` before `prioritized`, retries through `delayed`), `concurrency`
 *   slots per pod, lognormal job durations; report jobs load the read replicas.
 * - Read replicas: cores shared by reads and report jobs; overload becomes backlog and lag. A new
 *   replica serves after pg_basebackup of the whole database and WAL catch-up.
 * - Redis shards: single-threaded command queues; a new shard serves once the reshard has moved its keys.
 * - Nodes: API and worker pods wait for room on the app node pool (simulator/cluster.ts).
 * What a policy may see of it is in simulator/observe.ts: the exported series, scraped.
 */
import { LATENCY_BUCKETS_SECONDS, SLA_CLASS_NAMES, type SlaClass } from '../core/sla.js';
import { parseQuantity } from '../operator/cost/quantity.js';
import { COMPONENTS, WORKER_QUEUES, type Component, type PassPlatformSpec, type WorkerQueue } from '../platform-api/v1alpha1/index.js';
import { AppNodePool, Fleet, type Pod, type StartTime } from './cluster.js';
import { PodQueue } from './pod-queue.js';
import { lognormalCdf, lognormalShape, Random, type LognormalShape } from './random.js';
import type { Batch, LoadPoint } from './traces.js';
import {
  API_PROCESS_MAX_CORES,
  BASE_LATENCY_P95_OVER_MEDIAN,
  DATABASE,
  JOB_COSTS,
  POD_START_SECONDS,
  QUEUE_SLA_CLASS,
  REDIS_MODEL,
  REQUEST_COSTS,
  replicaStartSeconds,
  reshardSeconds,
} from './workload.js';

export const STEP_SECONDS = 5;
/** Clients give up after this long; a request that would wait longer on its pod is dropped (504 at the ingress). */
const CLIENT_TIMEOUT_SECONDS = 30;
/**
 * Requests per second the model follows one by one at least (every pod's when the API serves fewer):
 * the pods it follows are statistically the same as the others, and following a few keeps the week
 * affordable, but a minute's exceed share is read from their requests alone. Following one pod, a
 * fleet of 25 at 170 req/s left it a few dozen logins a minute, where one or two slow ones already
 * pass 5 %: on the upload deadline (seeds 1-5) auth read 13-19 violated minutes under every policy's
 * safe end, 0.2-2 once ~100 req/s were followed.
 */
const TRACKED_REQUESTS_PER_SECOND = 100;
/** Utilisation above which processor-sharing stretch is capped (the rest shows as backlog). */
const MAX_STRETCH_UTILIZATION = 0.95;
/** Read replicas hold this much queued work at most (seconds of their cores): clients have given up on the rest. */
const REPLICA_BACKLOG_LIMIT_SECONDS = CLIENT_TIMEOUT_SECONDS;
/** Extra latency on a request when a Redis shard is full and evicts (cache misses go to Postgres). */
const REDIS_FULL_PENALTY_SECONDS = 0.05;
/** A z-score of the normal distribution's 95th percentile. */
const Z95 = 1.6449;

export function cores(quantity: string): number {
  return parseQuantity(quantity).toNumber();
}

/** Upper bounds of the API's and workers' latency histograms, then +Inf: the exported contract. */
export const HISTOGRAM_BOUNDS: readonly number[] = [...LATENCY_BUCKETS_SECONDS, Infinity];

export interface ClassOutcome {
  count: number;
  exceeded: number;
}

export interface QueueOutcome {
  started: number;
  exceeded: number;
  /** Jobs still waiting (wait list and prioritized set) after this step's starts. */
  waiting: number;
  oldestWaitingAgeSeconds: number;
  durationP95Seconds: number;
}

export interface StepOutcome {
  requests: Record<SlaClass, ClassOutcome>;
  queues: Record<WorkerQueue, QueueOutcome>;
}

/** The series the platform's exporters publish, as counters (cumulative) and gauges (now). */
export interface ExportedSeries {
  api: {
    requests: Record<SlaClass, number>;
    /** Per class, requests per histogram bucket (not cumulative; the last is +Inf). */
    buckets: Record<SlaClass, number[]>;
    errors: number;
    cpuSeconds: number;
    /** Processes up (scraped). */
    pods: number;
  };
  queues: Record<
    WorkerQueue,
    {
      waiting: number;
      prioritized: number;
      delayed: number;
      active: number;
      oldestWaitingAgeSeconds: number;
      completed: number;
      durationSum: number;
      durationBuckets: number[];
      cpuSeconds: number;
      pods: number;
    }
  >;
  postgres: {
    readQueries: number;
    replicaCpuSeconds: number;
    lagSeconds: number;
    healthyReplicas: number;
    /** Backends on the busiest replica, and its max_connections. */
    backends: number;
    maxConnections: number;
  };
  redis: { memoryBytes: number; maxShardMemoryBytes: number; maxmemoryBytes: number; commands: number; shards: number };
}

interface Cohort {
  at: number;
  count: number;
}

interface QueueState {
  wait: Cohort[];
  prioritized: Cohort[];
  delayed: Cohort[];
  active: number;
}

function perClass<T>(value: (c: SlaClass) => T): Record<SlaClass, T> {
  return Object.fromEntries(SLA_CLASS_NAMES.map((c) => [c, value(c)])) as Record<SlaClass, T>;
}

function perQueue<T>(value: (q: WorkerQueue) => T): Record<WorkerQueue, T> {
  return Object.fromEntries(WORKER_QUEUES.map((q) => [q, value(q)])) as Record<WorkerQueue, T>;
}

function total(cohorts: readonly Cohort[]): number {
  let sum = 0;
  for (const c of cohorts) sum += c.count;
  return sum;
}

/** Jobs not yet started and not delayed: the wait list and the prioritized set (what holds Redis memory and can miss an SLA waiting). */
function queuedJobs(state: QueueState): number {
  return total(state.wait) + total(state.prioritized);
}

function bucketIndex(value: number): number {
  let i = 0;
  while (value > (HISTOGRAM_BOUNDS[i] as number)) i++;
  return i;
}

/** What the read replicas do to a request this step. */
interface ReplicaState {
  /** Factor on a request's replica time (processor sharing at the replicas' utilisation). */
  stretch: number;
  /** Wait for queued replica work plus for a Pooler connection, seconds. */
  queued: number;
}

export class PlatformModel {
  readonly fleets: Record<Component, Fleet>;
  readonly nodes: AppNodePool;
  private readonly random: Random;
  private readonly podCores: number;
  private readonly replicaCores: number;
  private readonly shardMaxMemoryBytes: number;
  private readonly cpuShapes: Record<SlaClass, LognormalShape>;
  private readonly baseShapes: Record<SlaClass, LognormalShape>;
  private readonly queues: Record<WorkerQueue, QueueState>;
  private readonly workerCores: Record<WorkerQueue, number>;
  private replicaBacklogCoreSeconds = 0;
  /** Report jobs started in the last step: the replica work they bring. */
  private reportsStarted = 0;
  private poolBacklogConnectionSeconds = 0;
  readonly exported: ExportedSeries;

  constructor(
    readonly spec: PassPlatformSpec,
    seed: number,
    now: number,
  ) {
    this.random = new Random(seed);
    this.podCores = cores(spec.api.resources.cpu);
    this.replicaCores = cores(spec.database.managed?.resources.cpu ?? '1');
    // maxmemory leaves a tenth of the container for fork and buffers.
    this.shardMaxMemoryBytes = 0.9 * cores(spec.redis.managed?.resources.memory ?? '512Mi');
    this.workerCores = perQueue((q) => cores(spec.workers[q].resources.cpu));
    this.cpuShapes = perClass((c) => lognormalShape(REQUEST_COSTS[c].cpuSeconds, REQUEST_COSTS[c].cpuCv));
    const spread = Math.log(BASE_LATENCY_P95_OVER_MEDIAN) / Z95;
    this.baseShapes = perClass((c) => ({ mu: Math.log(REQUEST_COSTS[c].baseP95Seconds) - Z95 * spread, sigma: spread }));

    const between = (range: readonly [number, number]): number => this.random.between(range[0], range[1]);
    const startTimes: Record<Component, StartTime> = {
      api: () => between(POD_START_SECONDS.api),
      'worker-uploads': () => between(POD_START_SECONDS['worker-uploads']),
      'worker-reports': () => between(POD_START_SECONDS['worker-reports']),
      'postgres-replicas': () =>
        replicaStartSeconds(between(POD_START_SECONDS['postgres-replicas']), between(DATABASE.baseBackupBytesPerSecond)),
      'redis-shards': (shards) => reshardSeconds(between(POD_START_SECONDS['redis-shards']), shards),
    };
    const initial: Record<Component, number> = {
      api: spec.api.minReplicas,
      'worker-uploads': spec.workers.uploads.minReplicas,
      'worker-reports': spec.workers.reports.minReplicas,
      'postgres-replicas': spec.database.managed?.readReplicas.minReplicas ?? 0,
      'redis-shards': spec.redis.managed?.shards.minReplicas ?? 0,
    };
    const requested: Record<Component, number> = {
      api: this.podCores,
      'worker-uploads': cores(spec.workers.uploads.resources.cpu),
      'worker-reports': cores(spec.workers.reports.resources.cpu),
      'postgres-replicas': 0,
      'redis-shards': 0,
    };
    this.fleets = Object.fromEntries(COMPONENTS.map((c) => [c, new Fleet(startTimes[c], requested[c], initial[c], now)])) as Record<
      Component,
      Fleet
    >;
    this.nodes = new AppNodePool([this.fleets.api, this.fleets['worker-uploads'], this.fleets['worker-reports']], this.random, now);
    this.queues = perQueue(() => ({ wait: [], prioritized: [], delayed: [], active: 0 }));
    this.exported = {
      api: {
        requests: perClass(() => 0),
        buckets: perClass(() => HISTOGRAM_BOUNDS.map(() => 0)),
        errors: 0,
        cpuSeconds: 0,
        pods: this.fleets.api.size,
      },
      queues: perQueue(() => ({
        waiting: 0,
        prioritized: 0,
        delayed: 0,
        active: 0,
        oldestWaitingAgeSeconds: 0,
        completed: 0,
        durationSum: 0,
        durationBuckets: HISTOGRAM_BOUNDS.map(() => 0),
        cpuSeconds: 0,
        pods: 0,
      })),
      postgres: { readQueries: 0, replicaCpuSeconds: 0, lagSeconds: 0, healthyReplicas: 0, backends: 0, maxConnections: 200 },
      redis: {
        memoryBytes: REDIS_MODEL.baseMemoryBytes,
        maxShardMemoryBytes: 0,
        maxmemoryBytes: this.shardMaxMemoryBytes,
        commands: 0,
        shards: 0,
      },
    };
  }

  setReplicas(replicas: Partial<Record<Component, number>>, now: number): void {
    for (const [component, count] of Object.entries(replicas) as [Component, number][]) this.fleets[component].resize(count, now);
  }

  step(now: number, load: LoadPoint, batches: readonly Batch[]): StepOutcome {
    const dt = STEP_SECONDS;
    this.nodes.tick(now);
    const arrivals = perClass((c) => this.random.poisson(load.requests[c] * dt));

    // Redis: each shard a single-threaded command queue (M/M/1 response time per command).
    const readyShards = Math.max(1, this.fleets['redis-shards'].ready(now));
    const redisOps =
      SLA_CLASS_NAMES.reduce((s, c) => s + (arrivals[c] / dt) * REQUEST_COSTS[c].redisOps, 0) +
      REDIS_MODEL.opsPerJob * WORKER_QUEUES.reduce((s, q) => s + load.jobs[q], 0);
    const redisUse = Math.min(MAX_STRETCH_UTILIZATION, redisOps / (readyShards * REDIS_MODEL.opsPerShard));
    const redisMemory =
      REDIS_MODEL.baseMemoryBytes + WORKER_QUEUES.reduce((s, q) => s + JOB_COSTS[q].bytesQueued * queuedJobs(this.queues[q]), 0);
    const redisFull = redisMemory / readyShards > this.shardMaxMemoryBytes;
    const secondsPerRedisOp = REDIS_MODEL.secondsPerOp / (1 - redisUse);

    const replica = this.stepReplicas(now, arrivals);
    const queues = perQueue((q) => this.stepQueue(q, now, load, batches, replica));
    const requests = this.stepApi(now, arrivals, replica, secondsPerRedisOp, redisFull ? REDIS_FULL_PENALTY_SECONDS : 0);

    const redis = this.exported.redis;
    redis.memoryBytes = redisMemory;
    redis.maxShardMemoryBytes = redisMemory / readyShards;
    redis.commands += redisOps * dt;
    redis.shards = this.fleets['redis-shards'].ready(now);
    return { requests, queues };
  }

  /** Read replicas and the Pooler in front of them: load, stretch, backlog, lag, connections. */
  private stepReplicas(now: number, arrivals: Record<SlaClass, number>): ReplicaState {
    const dt = STEP_SECONDS;
    const ready = this.fleets['postgres-replicas'].ready(now);
    // With no replica serving, the -ro Pooler's reads fall back to the primary's spare half core.
    const capacity = ready > 0 ? ready * this.replicaCores : 0.5 * this.replicaCores;
    const activeReports = this.queues.reports.active;
    // A report needs a fixed amount of replica CPU (its queries), however long the replicas make it take.
    const demand =
      SLA_CLASS_NAMES.reduce((s, c) => s + (arrivals[c] / dt) * REQUEST_COSTS[c].replicaCpuSeconds, 0) +
      (this.reportsStarted / dt) * JOB_COSTS.reports.replicaCores * JOB_COSTS.reports.meanSeconds;
    const work = this.replicaBacklogCoreSeconds + demand * dt;
    const done = Math.min(work, capacity * dt);
    this.replicaBacklogCoreSeconds = Math.min(work - done, capacity * REPLICA_BACKLOG_LIMIT_SECONDS);
    const use = Math.min(MAX_STRETCH_UTILIZATION, demand / capacity);
    const stretch = 1 / (1 - use);
    const backlogWait = this.replicaBacklogCoreSeconds / capacity;

    // Connections held on the replicas' Pooler: each request for its replica time, each running report throughout.
    const held =
      SLA_CLASS_NAMES.reduce(
        (s, c) => s + (REQUEST_COSTS[c].replicaQueries > 0 ? (arrivals[c] / dt) * REQUEST_COSTS[c].replicaSeconds * stretch : 0),
        0,
      ) + activeReports;
    const connections = DATABASE.serverConnections * Math.max(1, ready);
    // Clients waiting for a connection give up after the client timeout: the queue holds no more than that.
    this.poolBacklogConnectionSeconds = Math.min(
      connections * CLIENT_TIMEOUT_SECONDS,
      Math.max(0, this.poolBacklogConnectionSeconds + (held - connections) * dt),
    );
    const poolWait = this.poolBacklogConnectionSeconds / connections;

    const pg = this.exported.postgres;
    const queries =
      SLA_CLASS_NAMES.reduce((s, c) => s + arrivals[c] * REQUEST_COSTS[c].replicaQueries, 0) +
      this.reportsStarted * DATABASE.reportQueriesPerJob;
    if (ready > 0) {
      pg.readQueries += queries;
      pg.replicaCpuSeconds += done;
    }
    pg.lagSeconds = 0.05 + backlogWait;
    pg.healthyReplicas = ready;
    pg.backends = Math.min(DATABASE.serverConnections, held / Math.max(1, ready));
    return { stretch, queued: backlogWait + poolWait };
  }

  /** API pods: per-pod FIFO queues behind round-robin, simulated request by request on the tracked pods. */
  private stepApi(
    now: number,
    arrivals: Record<SlaClass, number>,
    replica: ReplicaState,
    secondsPerRedisOp: number,
    redisPenalty: number,
  ): Record<SlaClass, ClassOutcome> {
    const dt = STEP_SECONDS;
    const api = this.exported.api;
    const outcome = perClass<ClassOutcome>((c) => ({ count: arrivals[c], exceeded: 0 }));
    const pods = this.fleets.api.readyPods(now);
    api.pods = pods.length;
    let requestCount = 0;
    for (const c of SLA_CLASS_NAMES) {
      api.requests[c] += arrivals[c];
      requestCount += arrivals[c];
    }
    if (pods.length === 0) {
      for (const c of SLA_CLASS_NAMES) outcome[c].exceeded = arrivals[c];
      api.errors += requestCount;
      return outcome;
    }
    const appPods =
      this.fleets.api.scheduledCount() + this.fleets['worker-uploads'].scheduledCount() + this.fleets['worker-reports'].scheduledCount();
    const speed = Math.min(API_PROCESS_MAX_CORES, this.podCores + this.nodes.spareCores(now) / Math.max(1, appPods));
    const fixed = perClass((c) => {
      const cost = REQUEST_COSTS[c];
      const db = cost.replicaQueries > 0 ? cost.replicaSeconds * replica.stretch + replica.queued : 0;
      return db + cost.redisOps * secondsPerRedisOp + redisPenalty;
    });
    const perPodRate = requestCount / dt / pods.length;
    const trackedCount = perPodRate > 0 ? Math.min(pods.length, Math.ceil(TRACKED_REQUESTS_PER_SECOND / perPodRate)) : 1;
    const tracked = pods.slice(0, trackedCount);
    // A pod no longer followed drops what it holds: its requests would finish into a later step's
    // sample at that step's weight (and its CPU into that step's estimate).
    for (const pod of pods.slice(trackedCount)) pod.queue = undefined;
    const weight = pods.length / tracked.length;
    const step = { fixed, weight, sampled: perClass(() => 0), exceeded: perClass(() => 0), dropped: 0 };
    this.current = step;
    const start = now / 1000;
    const perPod = requestCount / pods.length;
    // Round-robin over n pods hands each pod every n-th arrival: gaps are Erlang-n, regular when n is large.
    const jitter = 1 / Math.sqrt(pods.length);
    let cpu = 0;
    for (const pod of tracked) {
      const queue = (pod.queue ??= new PodQueue((kind, seconds) => this.finished(kind, seconds)));
      const count = Math.floor(perPod) + (this.random.fast() < perPod - Math.floor(perPod) ? 1 : 0);
      const gap = dt / Math.max(1, count);
      let at = start;
      for (let i = 0; i < count; i++) {
        at += pods.length >= 3 ? gap * Math.max(0.05, 1 + jitter * this.random.fastNormal()) : -gap * Math.log(1 - this.random.fast());
        let pick = this.random.fast() * requestCount;
        let kind = 0;
        while (kind < SLA_CLASS_NAMES.length - 1 && (pick -= arrivals[SLA_CLASS_NAMES[kind] as SlaClass]) >= 0) kind++;
        const slaClass = SLA_CLASS_NAMES[kind] as SlaClass;
        if (!queue.arrive(at, this.random.lognormal(this.cpuShapes[slaClass]), kind, speed)) {
          step.sampled[slaClass]++;
          step.exceeded[slaClass]++;
          step.dropped++;
        }
      }
      queue.advance(start + dt, speed);
      cpu += queue.takeCpu();
    }
    for (const c of SLA_CLASS_NAMES) {
      if (!arrivals[c]) continue;
      if (step.sampled[c] > 0) outcome[c].exceeded = (arrivals[c] * step.exceeded[c]) / step.sampled[c];
      else {
        // No tracked request of this class finished this step: one probe behind the first tracked pod's requests.
        const inProgress = (tracked[0] as Pod).queue?.inProgress ?? 0;
        const work = this.random.lognormal(this.cpuShapes[c]) * (inProgress + 1);
        const latency = work / speed + this.random.lognormal(this.baseShapes[c]) + fixed[c];
        outcome[c].exceeded = latency > this.spec.sla[c] ? arrivals[c] : 0;
      }
    }
    api.errors += step.dropped * weight;
    api.cpuSeconds += (cpu / tracked.length) * pods.length;
    return outcome;
  }

  /** The step being run, for requests finishing on tracked pods. */
  private current = { fixed: perClass(() => 0), weight: 1, sampled: perClass(() => 0), exceeded: perClass(() => 0), dropped: 0 };

  /** A tracked request left its pod after `seconds`: its latency, histogram bucket and SLA outcome. */
  private finished(kind: number, seconds: number): void {
    const step = this.current;
    const slaClass = SLA_CLASS_NAMES[kind] as SlaClass;
    step.sampled[slaClass]++;
    if (seconds > CLIENT_TIMEOUT_SECONDS) {
      // The client gave up: a 504 at the ingress, not a latency the API records.
      step.exceeded[slaClass]++;
      step.dropped++;
      return;
    }
    const latency = seconds + this.random.lognormal(this.baseShapes[slaClass]) + step.fixed[slaClass];
    if (latency > this.spec.sla[slaClass]) step.exceeded[slaClass]++;
    const buckets = this.exported.api.buckets[slaClass];
    const index = bucketIndex(latency);
    buckets[index] = (buckets[index] ?? 0) + step.weight;
  }

  private slots(queue: WorkerQueue, now: number): number {
    return this.fleets[`worker-${queue}`].ready(now) * this.spec.workers[queue].concurrency;
  }

  private stepQueue(queue: WorkerQueue, now: number, load: LoadPoint, batches: readonly Batch[], replica: ReplicaState): QueueOutcome {
    const dt = STEP_SECONDS;
    const state = this.queues[queue];
    const cost = JOB_COSTS[queue];
    // The share of a job spent in replica queries stretches with the replicas' load and waits for their backlog.
    const duration =
      cost.meanSeconds * (1 - cost.replicaShare + cost.replicaShare * replica.stretch) + (cost.replicaShare > 0 ? replica.queued : 0);
    const shape = lognormalShape(duration, cost.durationCv);
    const durationP95 = Math.exp(shape.mu + Z95 * shape.sigma);
    const target = this.spec.sla[QUEUE_SLA_CLASS[queue]];

    while (state.delayed.length && (state.delayed[0]?.at ?? Infinity) <= now) {
      const due = state.delayed.shift() as Cohort;
      state.wait.push({ at: due.at, count: due.count });
    }
    const arrivals = this.random.poisson(load.jobs[queue] * dt);
    if (arrivals > 0) state.wait.push({ at: now, count: arrivals });
    for (const batch of batches) {
      if (batch.queue !== queue) continue;
      (batch.prioritized ? state.prioritized : state.wait).push({ at: now, count: batch.count });
    }

    const slots = this.slots(queue, now);
    // Each slot finishes dt / duration jobs per step.
    let free = (slots * dt) / duration;
    let started = 0;
    let exceeded = 0;
    // BullMQ serves the `wait` list before the `prioritized` set.
    for (const cohorts of [state.wait, state.prioritized]) {
      while (free > 1e-9 && cohorts.length) {
        const cohort = cohorts[0] as Cohort;
        const take = Math.min(free, cohort.count);
        const waited = (now - cohort.at) / 1000;
        started += take;
        exceeded += take * (1 - lognormalCdf(shape, target - waited));
        cohort.count -= take;
        free -= take;
        if (cohort.count <= 1e-9) cohorts.shift();
      }
    }
    const retries = this.random.poisson(started * cost.retryShare);
    if (retries > 0) state.delayed.push({ at: now + cost.retryDelaySeconds * 1000, count: retries });
    state.active = Math.min(slots, (started * duration) / dt);
    if (queue === 'reports') this.reportsStarted = started;
    const oldest = Math.min(state.wait[0]?.at ?? now, state.prioritized[0]?.at ?? now);

    const exported = this.exported.queues[queue];
    exported.waiting = Math.round(total(state.wait));
    exported.prioritized = Math.round(total(state.prioritized));
    exported.delayed = Math.round(total(state.delayed));
    exported.active = Math.round(state.active);
    exported.oldestWaitingAgeSeconds = (now - oldest) / 1000;
    exported.completed += started;
    exported.durationSum += started * duration;
    let below = 0;
    const buckets = exported.durationBuckets;
    HISTOGRAM_BOUNDS.forEach((bound, i) => {
      const cdf = bound === Infinity ? 1 : lognormalCdf(shape, bound);
      buckets[i] = (buckets[i] ?? 0) + started * (cdf - below);
      below = cdf;
    });
    const pods = this.fleets[`worker-${queue}`].ready(now);
    exported.pods = pods;
    const podCores = this.workerCores[queue];
    exported.cpuSeconds += slots > 0 ? (state.active / slots) * cost.cpuAtFullBusy * podCores * pods * dt : 0;
    return {
      started,
      exceeded,
      waiting: queuedJobs(state),
      oldestWaitingAgeSeconds: (now - oldest) / 1000,
      durationP95Seconds: durationP95,
    };
  }
}
