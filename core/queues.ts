/**
 * The BullMQ queues the API enqueues on and the workers consume: their names, key prefix, job
 * payloads, retry policy and deterministic job ids. Both sides import this module, so producer
 * and consumer cannot disagree on any of it.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Config } from './config.js';
import type { DependencyBreaker } from './breaker.js';
import { REDIS_DEADLINES, closeRedis, createRedis, guardWithBreaker, redisConnection, type RedisClient } from './redis.js';
import { traceEnqueue, type TraceCarrier } from './telemetry.js';

export const QUEUE_NAMES = ['uploads', 'reports'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * BullMQ's key prefix. The braces make the whole prefix a Redis Cluster hash tag, so every key of
 * a queue lands in one slot (its Lua scripts touch several keys at once and would fail otherwise).
 */
export function bullPrefix(redisKeyPrefix: string): string {
  return `{${redisKeyPrefix}bull}`;
}

export interface UploadJobData {
  uploadId: string;
  /** W3C trace context of the enqueuing request (`traceparent`, `tracestate`). */
  trace: TraceCarrier;
}

export interface ReportJobData {
  reportId: string;
  trace: TraceCarrier;
}

export interface JobDataByQueue {
  uploads: UploadJobData;
  reports: ReportJobData;
}

/** One job per upload and per report row: adding the same id twice is a no-op in BullMQ. */
export const jobIdFor = (queue: QueueName, rowId: string): string => `${queue}-${rowId}`;

/**
 * Retries back off exponentially; completed jobs are trimmed, failed ones are kept with their
 * error and stack for inspection (the database row carries the user-facing reason).
 */
export function jobOptions(config: Pick<Config, 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'>): JobsOptions {
  return {
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.JOB_BACKOFF_MS },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: false,
  };
}

export type QueueConfig = Pick<
  Config,
  'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_PASSWORD' | 'REDIS_KEY_PREFIX' | 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'
>;

/** The connection BullMQ uses; `null` retries because its blocking commands must never time out. */
export function createQueueConnection(
  config: QueueConfig,
  connectionName: string,
  maxRetriesPerRequest: number | null = null,
): RedisClient {
  return createRedis({ ...redisConnection(config), connectionName, maxRetriesPerRequest });
}

/** The producer side: the API adds jobs through this, once per process. */
export class JobQueues {
  readonly uploads: Queue<UploadJobData>;
  readonly reports: Queue<ReportJobData>;
  private readonly connection: RedisClient;

  constructor(config: QueueConfig, connectionName = 'queues', breaker?: DependencyBreaker) {
    // Enqueueing sits on a request path: fail fast (deadline, breaker) rather than hang.
    const connection = createRedis({
      ...redisConnection(config),
      connectionName,
      maxRetriesPerRequest: 2,
      commandTimeoutMs: REDIS_DEADLINES.commandMs,
    });
    this.connection = breaker ? guardWithBreaker(connection, breaker) : connection;
    this.connection.on('error', () => undefined);
    const common = { connection: this.connection, prefix: bullPrefix(config.REDIS_KEY_PREFIX), defaultJobOptions: jobOptions(config) };
    this.uploads = new Queue<UploadJobData>('uploads', common);
    this.reports = new Queue<ReportJobData>('reports', common);
  }

  async enqueueUpload(uploadId: string): Promise<void> {
    await traceEnqueue('uploads', 'process-upload', (trace) =>
      this.uploads.add('process-upload', { uploadId, trace }, { jobId: jobIdFor('uploads', uploadId) }),
    );
  }

  async enqueueReport(reportId: string): Promise<void> {
    await traceEnqueue('reports', 'build-report', (trace) =>
      this.reports.add('build-report', { reportId, trace }, { jobId: jobIdFor('reports', reportId) }),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.uploads.close(), this.reports.close()]);
    await closeRedis(this.connection);
  }
}
