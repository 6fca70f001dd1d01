/**
 * A discrete-time (5 s) queueing model of one PassPlatform: API pods as an M/M/c queue behind a
 * least-request balancer plus a fluid backlog when saturated; each worker queue as BullMQ keeps it
 * (`wait` list served before the `prioritized` set, `delayed` retries, `active` slots); read
 * replicas as an M/M/c queue of cores; Redis shards by commands and memory. Replicas take their
 * component's start-up time before they serve. The model exposes what each policy can observe:
 * pod CPU (HPA), a request rate and the `wait` list length (KEDA), and the full signal set (ours).
 */
import { SLA_CLASS_NAMES, type SlaClass } from '../core/sla.js';
import { erlangC, waitExceedProbability } from '../operator/autoscaler/index.js';
import { cores, QUEUE_SLA_CLASS } from '../operator/autoscaler/index.js';
import type { PlatformSignals } from '../operator/autoscaler/index.js';
import { COMPONENTS, WORKER_QUEUES, type Component, type PassPlatformSpec, type WorkerQueue } from '../platform-api/v1alpha1/index.js';
import { Random } from './random.js';
import type { Batch, LoadPoint } from './traces.js';
import { JOB_COSTS, REDIS_MODEL, REQUEST_COSTS, STARTUP_SECONDS, TYPICAL_CPU_PER_REQUEST } from './workload.js';

export const STEP_SECONDS = 5;
/** Prometheus rate()/quantile window the signals are computed over. */
const SIGNAL_WINDOW_STEPS = 12;
/** Clients give up after this long; work queued beyond it is dropped (and counted against the SLA). */
const CLIENT_TIMEOUT_SECONDS = 30;
const SLA_EXCEED = 0.05;

export interface Pod {
  startedAt: number;
  readyAt: number;
}

/** The replicas of one component; removing replicas takes the not-yet-ready and newest first, as a ReplicaSet does. */
export class Fleet {
  readonly pods: Pod[] = [];

  constructor(
    private readonly startup: readonly [number, number],
    private readonly random: Random,
    initial: number,
    now: number,
  ) {
    for (let i = 0; i < initial; i++) this.pods.push({ startedAt: now, readyAt: now });
  }

  get size(): number {
    return this.pods.length;
  }

  resize(replicas: number, now: number): void {
    while (this.pods.length < replicas) {
      this.pods.push({ startedAt: now, readyAt: now + this.random.between(this.startup[0], this.startup[1]) * 1000 });
    }
    if (this.pods.length > replicas) {
      this.pods.sort((a, b) => b.readyAt - a.readyAt);
      this.pods.splice(0, this.pods.length - replicas);
    }
  }

  ready(now: number): number {
    let ready = 0;
    for (const pod of this.pods) if (pod.readyAt <= now) ready++;
    return ready;
  }
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

export interface ClassOutcome {
  count: number;
  exceeded: number;
}

export interface QueueOutcome {
  started: number;
  exceeded: number;
  oldestWaitingAgeSeconds: number;
  durationP95Seconds: number;
}

export interface StepOutcome {
  requests: Record<SlaClass, ClassOutcome>;
  queues: Record<WorkerQueue, QueueOutcome>;
}

interface StepRecord {
  requests: Record<SlaClass, number>;
  p95: Record<SlaClass, number>;
  dropped: number;
  apiCpuCores: number;
  apiUtilization: number;
  queueAdded: Record<WorkerQueue, number>;
  queueCompleted: Record<WorkerQueue, number>;
  jobSeconds: Record<WorkerQueue, number>;
  workerUtilization: Record<WorkerQueue, number>;
  replicaCores: number;
  replicaUtilization: number;
  readQueries: number;
  redisOps: number;
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

export class PlatformModel {
  readonly fleets: Record<Component, Fleet>;
  private apiBacklogCoreSeconds = 0;
  private replicaBacklogCoreSeconds = 0;
  private replicaLagSeconds = 0;
  private readonly queues: Record<WorkerQueue, QueueState>;
  private readonly window: StepRecord[] = [];
  private readonly random: Random;
  private readonly podCores: number;
  private readonly replicaCores: number;
  private readonly shardMaxMemoryBytes: number;

  constructor(
    readonly spec: PassPlatformSpec,
    seed: number,
    now: number,
  ) {
    this.random = new Random(seed);
    const initial = (c: Component): number => {
      if (c === 'api') return spec.api.minReplicas;
      if (c === 'worker-uploads') return spec.workers.uploads.minReplicas;
      if (c === 'worker-reports') return spec.workers.reports.minReplicas;
      if (c === 'postgres-replicas') return spec.database.managed?.readReplicas.minReplicas ?? 0;
      return spec.redis.managed?.shards.minReplicas ?? 0;
    };
    this.fleets = Object.fromEntries(COMPONENTS.map((c) => [c, new Fleet(STARTUP_SECONDS[c], this.random, initial(c), now)])) as Record<
      Component,
      Fleet
    >;
    this.queues = perQueue(() => ({ wait: [], prioritized: [], delayed: [], active: 0 }));
    this.podCores = cores(spec.api.resources.cpu);
    this.replicaCores = cores(spec.database.managed?.resources.cpu ?? '1');
    // maxmemory leaves a tenth of the container for fork and buffers.
    this.shardMaxMemoryBytes = 0.9 * cores(spec.redis.managed?.resources.memory ?? '512Mi');
  }

  setReplicas(replicas: Partial<Record<Component, number>>, now: number): void {
    for (const [component, count] of Object.entries(replicas) as [Component, number][]) this.fleets[component].resize(count, now);
  }

  step(now: number, load: LoadPoint, batches: readonly Batch[]): StepOutcome {
    const dt = STEP_SECONDS;
    const arrivals = perClass((c) => this.random.poisson(load.requests[c] * dt));
    const requestCount = SLA_CLASS_NAMES.reduce((s, c) => s + arrivals[c], 0);

    // Read replicas: API reads plus running report jobs.
    const readyReplicas = this.fleets['postgres-replicas'].ready(now);
    const replicaCapacity = readyReplicas > 0 ? readyReplicas * this.replicaCores : 0.5 * this.replicaCores;
    const activeReports = this.queues.reports.active;
    const replicaDemand =
      SLA_CLASS_NAMES.reduce((s, c) => s + (arrivals[c] / dt) * REQUEST_COSTS[c].replicaCpuSeconds, 0) +
      activeReports * JOB_COSTS.reports.replicaCores;
    const replicaWork = this.replicaBacklogCoreSeconds + replicaDemand * dt;
    const replicaDone = Math.min(replicaWork, replicaCapacity * dt);
    this.replicaBacklogCoreSeconds = Math.min(replicaWork - replicaDone, replicaCapacity * 600);
    const replicaServers = Math.max(1, Math.round(replicaCapacity));
    const replicaLoad = Math.min(replicaDemand, 0.98 * replicaServers);
    const replicaQueueing =
      erlangC(replicaServers, replicaLoad, 1) / (replicaServers - replicaLoad) + this.replicaBacklogCoreSeconds / replicaCapacity;
    this.replicaLagSeconds = 0.1 + this.replicaBacklogCoreSeconds / replicaCapacity;
    const readQueries = SLA_CLASS_NAMES.reduce((s, c) => s + arrivals[c] * REQUEST_COSTS[c].replicaQueries, 0);

    // Redis: commands per shard stretch every request a little; a full shard evicts and misses the cache.
    const readyShards = Math.max(1, this.fleets['redis-shards'].ready(now));
    const redisOps =
      SLA_CLASS_NAMES.reduce((s, c) => s + (arrivals[c] / dt) * REQUEST_COSTS[c].redisOps, 0) +
      REDIS_MODEL.opsPerJob * WORKER_QUEUES.reduce((s, q) => s + load.jobs[q], 0);
    const redisRho = Math.min(0.98, redisOps / (readyShards * REDIS_MODEL.opsPerShard));
    const redisMemory =
      REDIS_MODEL.baseMemoryBytes +
      WORKER_QUEUES.reduce((s, q) => s + JOB_COSTS[q].bytesQueued * (total(this.queues[q].wait) + total(this.queues[q].prioritized)), 0);
    const redisFull = redisMemory / readyShards > this.shardMaxMemoryBytes;
    const redisDelay = (REDIS_MODEL.secondsPerOp * 4 * redisRho) / (1 - redisRho) + (redisFull ? 0.05 : 0);

    // API pods.
    const readyPods = this.fleets.api.ready(now);
    const capacityCores = readyPods * this.podCores;
    const cpuWork = SLA_CLASS_NAMES.reduce((s, c) => s + arrivals[c] * REQUEST_COSTS[c].cpuSeconds, 0);
    const backlogBefore = this.apiBacklogCoreSeconds;
    const work = backlogBefore + cpuWork;
    const done = Math.min(work, capacityCores * dt);
    let backlogAfter = work - done;
    let dropped = 0;
    const timeoutWork = capacityCores * CLIENT_TIMEOUT_SECONDS;
    if (backlogAfter > timeoutWork) {
      const meanCpu = requestCount > 0 ? cpuWork / requestCount : TYPICAL_CPU_PER_REQUEST;
      dropped = (backlogAfter - timeoutWork) / meanCpu;
      backlogAfter = timeoutWork;
    }
    this.apiBacklogCoreSeconds = backlogAfter;
    const fluidWait = capacityCores > 0 ? (backlogBefore + backlogAfter) / 2 / capacityCores : CLIENT_TIMEOUT_SECONDS;
    const meanCpu = requestCount > 0 ? cpuWork / requestCount : TYPICAL_CPU_PER_REQUEST;
    const perPodRate = this.podCores / meanCpu;
    const arrivalRate = Math.min(requestCount / dt, 0.98 * readyPods * perPodRate);
    const waitsAtAll = readyPods > 0 ? erlangC(readyPods, arrivalRate, perPodRate) : 1;
    const drain = readyPods * perPodRate - arrivalRate;
    const erlangP95 = waitsAtAll <= SLA_EXCEED || drain <= 0 ? 0 : Math.log(waitsAtAll / SLA_EXCEED) / drain;

    const requests = perClass<ClassOutcome>((c) => ({ count: arrivals[c], exceeded: 0 }));
    const p95 = perClass(() => 0);
    const droppedShare = requestCount > 0 ? Math.min(1, dropped / requestCount) : 0;
    for (const c of SLA_CLASS_NAMES) {
      const cost = REQUEST_COSTS[c];
      const fixed = cost.baseP95Seconds + cost.replicaSeconds * replicaQueueing + redisDelay;
      const slack = this.spec.sla[c] - fixed - fluidWait;
      const exceed = readyPods === 0 || slack <= 0 ? 1 : waitsAtAll * Math.exp(-drain * slack);
      requests[c].exceeded = arrivals[c] * Math.min(1, droppedShare + (1 - droppedShare) * exceed);
      p95[c] = readyPods === 0 ? CLIENT_TIMEOUT_SECONDS : fixed + fluidWait + erlangP95;
    }

    const queues = perQueue((q) => this.stepQueue(q, now, load, batches, replicaQueueing));
    this.record({
      requests: arrivals,
      p95,
      dropped,
      apiCpuCores: done / dt,
      apiUtilization: capacityCores > 0 ? done / dt / capacityCores : 0,
      queueAdded: perQueue((q) => this.lastAdded[q]),
      queueCompleted: perQueue((q) => this.lastCompleted[q]),
      jobSeconds: perQueue((q) => this.jobSeconds(q, replicaQueueing)),
      workerUtilization: perQueue((q) => this.workerUtilization(q, now)),
      replicaCores: replicaDone / dt,
      replicaUtilization: replicaDone / dt / replicaCapacity,
      readQueries,
      redisOps,
    });
    this.redisMemoryBytes = redisMemory;
    return { requests, queues };
  }

  private redisMemoryBytes = REDIS_MODEL.baseMemoryBytes;
  private readonly lastAdded = perQueue(() => 0);
  private readonly lastCompleted = perQueue(() => 0);

  private jobSeconds(queue: WorkerQueue, replicaQueueing: number): number {
    const cost = JOB_COSTS[queue];
    return cost.meanSeconds * (1 + cost.replicaShare * Math.min(replicaQueueing, 10));
  }

  private slots(queue: WorkerQueue, now: number): number {
    return this.fleets[`worker-${queue}`].ready(now) * this.spec.workers[queue].concurrency;
  }

  private workerUtilization(queue: WorkerQueue, now: number): number {
    const slots = this.slots(queue, now);
    return slots > 0 ? (this.queues[queue].active / slots) * JOB_COSTS[queue].cpuAtFullBusy : 0;
  }

  private stepQueue(queue: WorkerQueue, now: number, load: LoadPoint, batches: readonly Batch[], replicaQueueing: number): QueueOutcome {
    const dt = STEP_SECONDS;
    const state = this.queues[queue];
    const cost = JOB_COSTS[queue];
    const duration = this.jobSeconds(queue, replicaQueueing);
    const durationP95 = duration * cost.p95Factor;
    const target = this.spec.sla[QUEUE_SLA_CLASS[queue]];
    let added = 0;

    while (state.delayed.length && (state.delayed[0]?.at ?? Infinity) <= now) {
      const due = state.delayed.shift() as Cohort;
      state.wait.push({ at: due.at, count: due.count });
      added += due.count;
    }
    const arrivals = this.random.poisson(load.jobs[queue] * dt);
    if (arrivals > 0) state.wait.push({ at: now, count: arrivals });
    added += arrivals;
    for (const batch of batches) {
      if (batch.queue !== queue) continue;
      (batch.prioritized ? state.prioritized : state.wait).push({ at: now, count: batch.count });
      added += batch.count;
    }

    const slots = this.slots(queue, now);
    // Fluid service: each slot finishes dt / duration jobs per step.
    let free = (slots * dt) / duration;
    let started = 0;
    let exceeded = 0;
    const freshExceed = waitExceedProbability(
      slots,
      Math.min(load.jobs[queue], (0.98 * slots) / duration),
      1 / duration,
      target - durationP95,
    );
    // BullMQ serves the `wait` list before the `prioritized` set.
    for (const cohorts of [state.wait, state.prioritized]) {
      while (free > 1e-9 && cohorts.length) {
        const cohort = cohorts[0] as Cohort;
        const take = Math.min(free, cohort.count);
        const waited = (now - cohort.at) / 1000;
        started += take;
        exceeded += waited + durationP95 > target ? take : take * (cohort.at === now ? freshExceed : 0);
        cohort.count -= take;
        free -= take;
        if (cohort.count <= 1e-9) cohorts.shift();
      }
    }
    const retries = this.random.poisson(started * cost.retryShare);
    if (retries > 0) state.delayed.push({ at: now + cost.retryDelaySeconds * 1000, count: retries });
    state.active = Math.min(slots, (started * duration) / dt);
    const oldest = Math.min(state.wait[0]?.at ?? now, state.prioritized[0]?.at ?? now);
    this.lastAdded[queue] = added;
    this.lastCompleted[queue] = started;
    return { started, exceeded, oldestWaitingAgeSeconds: (now - oldest) / 1000, durationP95Seconds: durationP95 };
  }

  private record(record: StepRecord): void {
    this.window.push(record);
    if (this.window.length > SIGNAL_WINDOW_STEPS) this.window.shift();
  }

  private recent(steps: number): StepRecord[] {
    return this.window.slice(-steps);
  }

  /** Average CPU utilisation of a component's ready pods over the last 30 s, as metrics-server reports it. */
  cpuUtilization(component: Component): number | undefined {
    const records = this.recent(6);
    if (!records.length) return undefined;
    const value = (r: StepRecord): number => {
      if (component === 'api') return r.apiUtilization;
      if (component === 'worker-uploads') return r.workerUtilization.uploads;
      if (component === 'worker-reports') return r.workerUtilization.reports;
      if (component === 'postgres-replicas') return r.replicaUtilization;
      return 0;
    };
    return records.reduce((s, r) => s + value(r), 0) / records.length;
  }

  /** `sum(rate(http_server_request_duration_seconds_count[1m]))`: what a KEDA Prometheus trigger reads. */
  requestRate(): number {
    const records = this.recent(SIGNAL_WINDOW_STEPS);
    const count = records.reduce((s, r) => s + SLA_CLASS_NAMES.reduce((a, c) => a + r.requests[c], 0), 0);
    return count / (records.length * STEP_SECONDS || 1);
  }

  /** LLEN of BullMQ's `wait` list: what KEDA's Redis list trigger reads. */
  waitListLength(queue: WorkerQueue): number {
    return Math.round(total(this.queues[queue].wait));
  }

  /** Everything operator/autoscaling/signals would read from Prometheus, over the same 1-minute windows. */
  signals(now: number): PlatformSignals {
    const records = this.recent(SIGNAL_WINDOW_STEPS);
    const seconds = records.length * STEP_SECONDS || 1;
    const requestRate = perClass((c) => records.reduce((s, r) => s + r.requests[c], 0) / seconds);
    const p95LatencySeconds: Partial<Record<SlaClass, number>> = {};
    for (const c of SLA_CLASS_NAMES) {
      const count = records.reduce((s, r) => s + r.requests[c], 0);
      if (count > 0) p95LatencySeconds[c] = records.reduce((s, r) => s + r.requests[c] * r.p95[c], 0) / count;
    }
    const totalRequests = SLA_CLASS_NAMES.reduce((s, c) => s + requestRate[c], 0) * seconds;
    const average = (value: (r: StepRecord) => number): number => records.reduce((s, r) => s + value(r), 0) / (records.length || 1);
    const queues = perQueue((q) => {
      const state = this.queues[q];
      const completed = records.reduce((s, r) => s + r.queueCompleted[q], 0);
      const duration = average((r) => r.jobSeconds[q]);
      const oldest = Math.min(state.wait[0]?.at ?? now, state.prioritized[0]?.at ?? now);
      return {
        waiting: Math.round(total(state.wait)),
        prioritized: Math.round(total(state.prioritized)),
        delayed: Math.round(total(state.delayed)),
        active: Math.round(state.active),
        arrivalRate: records.reduce((s, r) => s + r.queueAdded[q], 0) / seconds,
        completionRate: completed / seconds,
        oldestWaitingAgeSeconds: (now - oldest) / 1000,
        meanJobDurationSeconds: duration,
        p95JobDurationSeconds: duration * JOB_COSTS[q].p95Factor,
        readyPods: this.fleets[`worker-${q}`].ready(now),
      };
    });
    const readyShards = this.fleets['redis-shards'].ready(now);
    return {
      observedAt: now,
      api: {
        requestRate,
        p95LatencySeconds,
        errorRatio: totalRequests > 0 ? records.reduce((s, r) => s + r.dropped, 0) / totalRequests : 0,
        cpuCores: average((r) => r.apiCpuCores),
        readyPods: this.fleets.api.ready(now),
      },
      queues,
      postgres: {
        readQps: records.reduce((s, r) => s + r.readQueries, 0) / seconds,
        replicaCpuCores: average((r) => r.replicaCores),
        maxReplicaLagSeconds: this.replicaLagSeconds,
        readyReplicas: this.fleets['postgres-replicas'].ready(now),
      },
      redis: {
        totalMemoryBytes: this.redisMemoryBytes,
        maxShardMemoryBytes: this.redisMemoryBytes / Math.max(1, readyShards),
        shardMaxMemoryBytes: this.shardMaxMemoryBytes,
        opsPerSecond: average((r) => r.redisOps),
        readyShards,
      },
    };
  }
}
