/**
 * The workers: configuration → dependencies → one BullMQ worker per configured queue
 * (WORKER_QUEUES), a metrics endpoint, and the stranded-job repair loop. `stop()` (SIGTERM/SIGINT
 * in main.ts) stops taking jobs and waits for the ones in flight (up to SHUTDOWN_GRACE_MS; a job
 * still running then is taken back by another worker once its lock expires).
 */
import { Queue, type Worker } from 'bullmq';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createRegistry } from '../core/metrics.js';
import { bullPrefix, createQueueConnection, type ReportJobData, type UploadJobData } from '../core/queues.js';
import { closeRedis } from '../core/redis.js';
import { createWorkerDeps } from './deps.js';
import { startMetricsServer } from './metrics-server.js';
import { registerQueueMetrics } from './metrics.js';
import { createQueueWorker } from './queue-worker.js';
import { failReport, processReport } from './reports/process-report.js';
import { repairStrandedJobs, type StrandedQueues } from './stranded-jobs.js';
import { processUpload, rejectAfterFailure } from './uploads/process-upload.js';

/** Rows waiting this long without a live job are repaired; checked this often. */
const STRANDED_AFTER_MS = 5 * 60_000;
const REPAIR_INTERVAL_MS = 60_000;

export interface RunningWorkers {
  metricsUrl: string;
  stop(): Promise<void>;
}

export async function startWorkers(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningWorkers & { logger: ReturnType<typeof createLogger> }> {
  const config = loadConfig(env);
  const logger = createLogger('workers', config.LOG_LEVEL);
  const registry = createRegistry('workers');
  const deps = createWorkerDeps(config, logger, registry);
  const connection = createQueueConnection(config, 'workers');
  connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const queueOptions = { connection, prefix: bullPrefix(config.REDIS_KEY_PREFIX) };

  const queues: StrandedQueues = {};
  const workers: Worker[] = [];
  const metrics = registerQueueMetrics(
    registry,
    config.WORKER_QUEUES.map((name) =>
      name === 'uploads'
        ? (queues.uploads = new Queue<UploadJobData>(name, queueOptions))
        : (queues.reports = new Queue<ReportJobData>(name, queueOptions)),
    ),
  );
  const common = { connection, config, logger, metrics };
  if (config.WORKER_QUEUES.includes('uploads')) {
    workers.push(
      createQueueWorker({
        ...common,
        queue: 'uploads',
        concurrency: config.UPLOAD_WORKER_CONCURRENCY,
        process: (job) => processUpload(deps, job.data),
        onFinalFailure: (data, error) => rejectAfterFailure(deps, data, error),
      }),
    );
  }
  if (config.WORKER_QUEUES.includes('reports')) {
    workers.push(
      createQueueWorker({
        ...common,
        queue: 'reports',
        concurrency: config.REPORT_WORKER_CONCURRENCY,
        process: (job) => processReport(deps, job.data, (percent) => job.updateProgress(percent)),
        onFinalFailure: (data, error) => failReport(deps, data, error),
      }),
    );
  }
  for (const worker of workers) {
    worker.run().catch((err: Error) => logger.error({ queue: worker.name, err: err.message }, 'worker stopped unexpectedly'));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  const repairTimer = setInterval(() => {
    repairStrandedJobs(deps, queues, STRANDED_AFTER_MS).then(
      (result) => (result.requeued || result.failed) && logger.warn(result, 'repaired stranded jobs'),
      (err: Error) => logger.warn({ err: err.message }, 'stranded-job repair failed'),
    );
  }, REPAIR_INTERVAL_MS);
  repairTimer.unref();

  let stopping: Promise<void> | undefined;
  // Ready while every worker takes jobs over a live connection; a draining process is not.
  const ready = () => stopping === undefined && connection.status === 'ready' && workers.every((w) => w.isRunning());
  const metricsServer = await startMetricsServer(registry, logger, {
    port: config.WORKER_METRICS_PORT,
    host: config.WORKER_METRICS_HOST,
    token: config.METRICS_TOKEN,
    ready,
  });
  // The concurrency each queue really runs with (the spec's, through the pod's environment).
  const concurrency = Object.fromEntries(workers.map((w) => [w.name, w.concurrency]));
  logger.info({ queues: config.WORKER_QUEUES, concurrency, metricsUrl: metricsServer.url }, 'workers ready');

  async function stop(): Promise<void> {
    clearInterval(repairTimer);
    // close() stops fetching and resolves once the jobs in flight have finished.
    const drained = Promise.allSettled(workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.SHUTDOWN_GRACE_MS)));
    if ((await Promise.race([drained, grace])) === 'timeout') {
      logger.warn(
        { graceMs: config.SHUTDOWN_GRACE_MS },
        'jobs still running at the end of the grace period; they will be retried elsewhere',
      );
    }
    clearTimeout(timer);
    await Promise.allSettled([...Object.values(queues).map((q: Queue) => q.close()), metricsServer.close()]);
    await Promise.allSettled([deps.close(), closeRedis(connection)]);
  }

  return { metricsUrl: metricsServer.url, logger, stop: () => (stopping ??= stop()) };
}
