/**
 * Starts the workers from an environment: configuration → dependencies (deps.ts: database,
 * storage, notifications, BullMQ's connection and queues) → one BullMQ worker per configured queue
 * (WORKER_QUEUES; what each runs is processors.ts) → the probe and metrics server and the
 * stranded-job repair loop. `stop()` (SIGTERM/SIGINT in main.ts) stops taking jobs and waits for
 * the ones in flight (up to SHUTDOWN_GRACE_MS; a job still running then is taken back by another
 * worker once its lock expires).
 */
import type { Worker } from 'bullmq';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createRegistry } from '../core/metrics.js';
import { bearerTokenAccess, PLATFORM_PROBES, startProbeServer } from '../core/probe-server.js';
import type { JobDataByQueue, QueueName } from '../core/queues.js';
import { drainWithin } from '../core/service.js';
import { createWorkerDeps, type WorkerResources } from './deps.js';
import { registerQueueMetrics, type JobMetrics } from './metrics.js';
import { PROCESSORS, type QueueProcessor } from './processors.js';
import { createQueueWorker } from './queue-worker.js';
import { repairStrandedJobs } from './stranded-jobs.js';

/** Rows waiting this long without a live job are repaired; checked this often. */
const STRANDED_AFTER_MS = 5 * 60_000;
const REPAIR_INTERVAL_MS = 60_000;

export interface RunningWorkers {
  metricsUrl: string;
  stop(): Promise<void>;
}

/** A running BullMQ worker for one queue, with that queue's processor from the table. */
function startQueueWorker<Q extends QueueName>(queue: Q, deps: WorkerResources, metrics: JobMetrics): Worker<JobDataByQueue[Q]> {
  const processor = PROCESSORS[queue] as QueueProcessor<Q>;
  const worker = createQueueWorker({
    queue,
    connection: deps.connection,
    config: deps.config,
    logger: deps.logger,
    metrics,
    concurrency: processor.concurrency(deps.config),
    process: (job) => processor.process(deps, job),
    onFinalFailure: (data, error) => processor.onFinalFailure(deps, data, error),
  });
  worker.run().catch((err: Error) => deps.logger.error({ queue, err: err.message }, 'worker stopped unexpectedly'));
  return worker;
}

export async function startWorkers(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningWorkers & { logger: ReturnType<typeof createLogger> }> {
  const config = loadConfig(env);
  const logger = createLogger('workers', config.LOG_LEVEL);
  const registry = createRegistry('workers');
  const deps = createWorkerDeps(config, logger, registry);
  const metrics = registerQueueMetrics(registry, Object.values(deps.queues));
  const workers: Worker[] = config.WORKER_QUEUES.map((queue) => startQueueWorker(queue, deps, metrics));
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const repairTimer = setInterval(() => {
    repairStrandedJobs(deps, deps.queues, STRANDED_AFTER_MS).then(
      (result) => (result.requeued || result.failed) && logger.warn(result, 'repaired stranded jobs'),
      (err: Error) => logger.warn({ err: err.message }, 'stranded-job repair failed'),
    );
  }, REPAIR_INTERVAL_MS);
  repairTimer.unref();

  let stopping: Promise<void> | undefined;
  // Ready while every worker takes jobs over a live connection; a draining process is not.
  const ready = () => stopping === undefined && deps.connection.status === 'ready' && workers.every((w) => w.isRunning());
  const probes = await startProbeServer({
    registry,
    logger,
    paths: PLATFORM_PROBES,
    ready,
    port: config.WORKER_METRICS_PORT,
    // Loopback unless Prometheus must reach it from elsewhere (WORKER_METRICS_HOST).
    host: config.WORKER_METRICS_HOST,
    access: bearerTokenAccess(config.METRICS_TOKEN),
  });
  // The concurrency each queue really runs with (the spec's, through the pod's environment).
  const concurrency = Object.fromEntries(workers.map((w) => [w.name, w.concurrency]));
  logger.info({ queues: config.WORKER_QUEUES, concurrency, metricsUrl: probes.url }, 'workers ready');

  async function stop(): Promise<void> {
    clearInterval(repairTimer);
    // close() stops fetching and resolves once the jobs in flight have finished.
    if (!(await drainWithin(Promise.allSettled(workers.map((w) => w.close())), config.SHUTDOWN_GRACE_MS))) {
      logger.warn(
        { graceMs: config.SHUTDOWN_GRACE_MS },
        'jobs still running at the end of the grace period; they will be retried elsewhere',
      );
    }
    await probes.close();
    await deps.close();
  }

  return { metricsUrl: probes.url, logger, stop: () => (stopping ??= stop()) };
}
