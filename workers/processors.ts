/**
 * What each queue runs, in one table: its processor, the concurrency the configuration gives it,
 * and what happens once a job has used its last attempt. `run.ts` starts one worker per queue the
 * process is configured for (WORKER_QUEUES) from this table.
 */
import type { Job } from 'bullmq';
import type { Config } from '../core/config.js';
import type { JobDataByQueue, QueueName } from '../core/queues.js';
import type { WorkerDeps } from './deps.js';
import { failReport, processReport } from './reports/process-report.js';
import { processUpload, rejectAfterFailure } from './uploads/process-upload.js';

export interface QueueProcessor<Q extends QueueName> {
  concurrency(config: Config): number;
  process(deps: WorkerDeps, job: Job<JobDataByQueue[Q]>): Promise<unknown>;
  onFinalFailure(deps: WorkerDeps, data: JobDataByQueue[Q], error: string): Promise<void>;
}

export const PROCESSORS: { [Q in QueueName]: QueueProcessor<Q> } = {
  uploads: {
    concurrency: (config) => config.UPLOAD_WORKER_CONCURRENCY,
    process: (deps, job) => processUpload(deps, job.data),
    onFinalFailure: rejectAfterFailure,
  },
  reports: {
    concurrency: (config) => config.REPORT_WORKER_CONCURRENCY,
    process: (deps, job) => processReport(deps, job.data, (percent) => job.updateProgress(percent)),
    onFinalFailure: failReport,
  },
};
