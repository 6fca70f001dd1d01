/**
 * Builds a BullMQ Worker for one queue around a plain processor function, adding what every
 * queue needs: the job span continuing the enqueuing request's trace, duration and outcome
 * metrics, stalled-job recovery settings, and a hook for the final failure of a job.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { JOB_OUTCOME } from '../core/metric-labels.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { bullPrefix, type JobDataByQueue, type QueueName } from '../core/queues.js';
import type { RedisClient } from '../core/redis.js';
import { traceJob } from '../core/telemetry.js';
import type { JobMetrics } from './metrics.js';

export interface QueueWorkerOptions<Q extends QueueName> {
  queue: Q;
  concurrency: number;
  connection: RedisClient;
  config: Config;
  logger: Logger;
  metrics: JobMetrics;
  process(job: Job<JobDataByQueue[Q]>): Promise<unknown>;
  /** Runs once a job has used its last attempt (or failed unrecoverably). */
  onFinalFailure(data: JobDataByQueue[Q], error: string): Promise<void>;
}

/** Whether BullMQ gives up on a job after this failure, its `attemptsMade`-th. */
export function isFinalFailure(err: Error, attemptsMade: number, maxAttempts = 1): boolean {
  return err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || attemptsMade >= maxAttempts;
}

export function createQueueWorker<Q extends QueueName>(options: QueueWorkerOptions<Q>): Worker<JobDataByQueue[Q]> {
  const { queue, config, logger, metrics } = options;

  async function run(job: Job<JobDataByQueue[Q]>): Promise<unknown> {
    const span = { queue, jobName: job.name, attempt: job.attemptsMade + 1, ...(job.id ? { jobId: job.id } : {}) };
    return traceJob(span, job.data.trace, async () => {
      const started = performance.now();
      try {
        const result = await options.process(job);
        metrics.observe(queue, 'completed', (performance.now() - started) / 1000);
        return result;
      } catch (err) {
        const final = isFinalFailure(err as Error, job.attemptsMade + 1, job.opts.attempts);
        metrics.observe(queue, final ? JOB_OUTCOME.failed : JOB_OUTCOME.retrying, (performance.now() - started) / 1000);
        throw err;
      }
    });
  }

  const worker = new Worker<JobDataByQueue[Q]>(queue, run, {
    connection: options.connection,
    prefix: bullPrefix(config.REDIS_KEY_PREFIX),
    concurrency: options.concurrency,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    // A job whose worker died is taken back this many times before it is failed as poison.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = isFinalFailure(err, job.attemptsMade, job.opts.attempts);
    logger[final ? 'error' : 'warn'](
      { queue, jobId: job.id, attempt: job.attemptsMade, err: err.message },
      final ? 'job failed for good' : 'job failed; will retry',
    );
    if (final) {
      options
        .onFinalFailure(job.data, err.message)
        .catch((hookErr: Error) => logger.error({ queue, jobId: job.id, err: hookErr.message }, 'recording a final failure failed'));
    }
  });
  worker.on('stalled', (jobId) => logger.warn({ queue, jobId }, 'job stalled; its worker stopped renewing the lock, it will run again'));
  worker.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
  return worker;
}
