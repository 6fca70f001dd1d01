/**
 * Reads every signal the autoscaler uses from Prometheus in one pass. A query that fails or
 * returns nothing leaves its signal undefined (the policy then holds instead of scaling down);
 * the failures are returned so the operator can report them, not thrown.
 */
import { durationSeconds } from '../../../alerts/duration.js';
import type { SlaClass } from '../../../core/sla.js';
import type { PlatformSignals, QueueSignals } from '../../autoscaler/index.js';
import { WORKER_QUEUES, type WorkerQueue } from '../../../platform-api/v1alpha1/index.js';
import { PrometheusQueryError, type PrometheusClient, type Sample } from './prometheus-client.js';
import { apiQueries, postgresQueries, queueQueries, redisQueries, type SignalScope } from './queries.js';

export interface CollectedSignals {
  signals: PlatformSignals;
  errors: PrometheusQueryError[];
  /** Queries sent; `errors.length === queried` means nothing at all was read. */
  queried: number;
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function byLabel(samples: Sample[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const key = s.labels[label];
    const value = finite(s.value);
    if (key !== undefined && value !== undefined) out[key] = value;
  }
  return out;
}

export async function collectSignals(client: PrometheusClient, scope: SignalScope, now: Date): Promise<CollectedSignals> {
  const errors: PrometheusQueryError[] = [];
  let queried = 0;
  const run = async (promql: string): Promise<Sample[]> => {
    queried++;
    try {
      return await client.query(promql, now);
    } catch (error) {
      errors.push(error instanceof PrometheusQueryError ? error : new PrometheusQueryError(String(error), promql));
      return [];
    }
  };
  const scalar = async (promql: string): Promise<number | undefined> => finite((await run(promql))[0]?.value);

  const api = apiQueries(scope);
  const queues = queueQueries(scope);
  const pg = postgresQueries(scope);
  const redis = redisQueries(scope);
  const epochMs = async (promql: string): Promise<number | undefined> => {
    const seconds = await scalar(promql);
    return seconds !== undefined ? seconds * 1000 : undefined;
  };

  const [rates, p95s, errorRatio, cpuCores, maxMemoryBytes, readyPods, apiSampledAt, realtimeConnections, realtimeMaxConnectionsPerPod] =
    await Promise.all([
      run(api.requestRateByClass),
      run(api.p95ByClass),
      scalar(api.errorRatio),
      scalar(api.cpuCores),
      scalar(api.maxMemoryBytes),
      scalar(api.readyPods),
      epochMs(api.sampledAt),
      scalar(api.realtimeConnections),
      scalar(api.realtimeMaxConnectionsPerPod),
    ]);
  const sockets = { realtimeConnections, realtimeMaxConnectionsPerPod };
  const [jobsByState, oldest, completion, arrival, meanDuration, p95Duration, queuesSampledAt, ...workerPods] = await Promise.all([
    run(queues.jobsByState),
    run(queues.oldestWaitingAge),
    run(queues.completionRate),
    run(queues.arrivalRate),
    run(queues.meanJobDuration),
    run(queues.p95JobDuration),
    epochMs(queues.sampledAt),
    ...WORKER_QUEUES.map((queue) => scalar(queues.readyPods(queue))),
  ]);
  const [readQps, replicaCpuCores, lag, connections, healthyReplicas, postgresSampledAt] = await Promise.all([
    scalar(pg.readQps),
    scalar(pg.replicaCpuCores),
    scalar(pg.maxReplicaLag),
    scalar(pg.connectionUseRatio),
    scalar(pg.healthyReplicas),
    epochMs(pg.sampledAt),
  ]);
  const [maxShardMemory, totalMemory, shardMaxMemory, ops, shards, redisSampledAt] = await Promise.all([
    scalar(redis.maxShardMemory),
    scalar(redis.totalMemory),
    scalar(redis.shardMaxMemory),
    scalar(redis.opsPerSecond),
    scalar(redis.shards),
    epochMs(redis.sampledAt),
  ]);

  const requestRate = byLabel(rates, 'sla_class') as Partial<Record<SlaClass, number>>;
  const p95LatencySeconds = byLabel(p95s, 'sla_class') as Partial<Record<SlaClass, number>>;
  const queueSignals: Partial<Record<WorkerQueue, QueueSignals>> = {};
  const oldestByQueue = byLabel(oldest, 'queue');
  const completionByQueue = byLabel(completion, 'queue');
  const arrivalByQueue = byLabel(arrival, 'queue');
  const meanByQueue = byLabel(meanDuration, 'queue');
  const p95ByQueue = byLabel(p95Duration, 'queue');
  for (const queue of WORKER_QUEUES) {
    const states = byLabel(
      jobsByState.filter((s) => s.labels.queue === queue),
      'state',
    );
    if (!Object.keys(states).length) continue;
    queueSignals[queue] = {
      waiting: states.waiting,
      prioritized: states.prioritized,
      delayed: states.delayed,
      active: states.active,
      arrivalRate: arrivalByQueue[queue] !== undefined ? Math.max(0, arrivalByQueue[queue]) : undefined,
      completionRate: completionByQueue[queue],
      oldestWaitingAgeSeconds: oldestByQueue[queue],
      meanJobDurationSeconds: meanByQueue[queue],
      p95JobDurationSeconds: p95ByQueue[queue],
      readyPods: workerPods[WORKER_QUEUES.indexOf(queue)],
    };
  }
  const sampledAt: NonNullable<PlatformSignals['sampledAt']> = {};
  if (apiSampledAt !== undefined) sampledAt.api = apiSampledAt;
  if (queuesSampledAt !== undefined) sampledAt.queues = queuesSampledAt;
  if (postgresSampledAt !== undefined) sampledAt.postgres = postgresSampledAt;
  if (redisSampledAt !== undefined) sampledAt.redis = redisSampledAt;
  return {
    errors,
    queried,
    signals: {
      // The newest sample, not the query time: when Prometheus stopped scraping, the signals age.
      observedAt: Math.max(0, ...Object.values(sampledAt)),
      windowSeconds: durationSeconds(scope.window),
      sampledAt,
      api: Object.keys(requestRate).length
        ? { requestRate, p95LatencySeconds, errorRatio, cpuCores, maxMemoryBytes, readyPods, ...sockets }
        : { cpuCores, readyPods, ...sockets },
      queues: queueSignals,
      postgres: { readQps, replicaCpuCores, maxReplicaLagSeconds: lag, connectionUseRatio: connections, readyReplicas: healthyReplicas },
      // Memory and commands of the shard primaries only (a replica repeats its primary's).
      redis: {
        maxShardMemoryBytes: maxShardMemory,
        totalMemoryBytes: totalMemory,
        shardMaxMemoryBytes: shardMaxMemory || undefined,
        opsPerSecond: ops,
        readyShards: shards,
      },
    },
  };
}
