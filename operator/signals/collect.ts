/**
 * Reads every signal the autoscaler uses from Prometheus in one pass. A query that fails or
 * returns nothing leaves its signal undefined (the policy then holds instead of scaling down);
 * the failures are returned so the operator can report them, not thrown.
 */
import type { SlaClass } from '../../core/sla.js';
import type { PlatformSignals, QueueSignals } from '../autoscaler/types.js';
import { WORKER_QUEUES, type PassPlatformSpec, type WorkerQueue } from '../spec.js';
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

export async function collectSignals(client: PrometheusClient, spec: PassPlatformSpec, scope: SignalScope, now: Date): Promise<CollectedSignals> {
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

  const [rates, p95s, errorRatio, cpuCores, maxMemoryBytes, readyPods] = await Promise.all([
    run(api.requestRateByClass),
    run(api.p95ByClass),
    scalar(api.errorRatio),
    scalar(api.cpuCores),
    scalar(api.maxMemoryBytes),
    scalar(api.readyPods),
  ]);
  const [jobsByState, oldest, completion, arrival, meanDuration, p95Duration, workerPods] = await Promise.all([
    run(queues.jobsByState),
    run(queues.oldestWaitingAge),
    run(queues.completionRate),
    run(queues.arrivalRate),
    run(queues.meanJobDuration),
    run(queues.p95JobDuration),
    scalar(queues.readyPods),
  ]);
  const [readQps, lag, connections, healthyReplicas] = await Promise.all([
    scalar(pg.readQps),
    scalar(pg.maxReplicaLag),
    scalar(pg.connectionUseRatio),
    scalar(pg.healthyReplicas),
  ]);
  const [maxShardMemory, totalMemory, shardMaxMemory, ops, redisNodes] = await Promise.all([
    scalar(redis.maxShardMemory),
    scalar(redis.totalMemory),
    scalar(redis.shardMaxMemory),
    scalar(redis.opsPerSecond),
    scalar(redis.nodes),
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
    const states = byLabel(jobsByState.filter((s) => s.labels.queue === queue), 'state');
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
      readyPods: workerPods,
    };
  }
  // Every Redis node exports its own memory; a shard is a primary plus its replicas.
  const nodesPerShard = 1 + (spec.redis.managed?.replicasPerShard ?? 0);
  return {
    errors,
    queried,
    signals: {
      observedAt: now.getTime(),
      api: Object.keys(requestRate).length ? { requestRate, p95LatencySeconds, errorRatio, cpuCores, maxMemoryBytes, readyPods } : { cpuCores, readyPods },
      queues: queueSignals,
      postgres: { readQps, maxReplicaLagSeconds: lag, connectionUseRatio: connections, readyReplicas: healthyReplicas },
      redis: {
        maxShardMemoryBytes: maxShardMemory,
        totalMemoryBytes: totalMemory !== undefined ? totalMemory / nodesPerShard : undefined,
        shardMaxMemoryBytes: shardMaxMemory || undefined,
        opsPerSecond: ops !== undefined ? ops / nodesPerShard : undefined,
        readyShards: redisNodes !== undefined ? Math.floor(redisNodes / nodesPerShard) : undefined,
      },
    },
  };
}
