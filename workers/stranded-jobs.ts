/**
 * Repairs rows whose job went missing. The API writes the row, then enqueues; if Redis refused
 * the enqueue (or lost the job), the row would wait forever. Every so often the workers look for
 * rows still waiting after a while and re-add their job (same id, so a job that exists is left
 * alone), or record the final failure that a crash kept from being written.
 */
import type { Queue } from 'bullmq';
import { injectTraceContext } from '../core/telemetry.js';
import { jobIdFor, type ReportJobData, type UploadJobData } from '../core/queues.js';
import type { OpenQueues, WorkerDeps } from './deps.js';
import { failReport } from './reports/process-report.js';
import { rejectAfterFailure } from './uploads/process-upload.js';

async function repair<T extends UploadJobData | ReportJobData>(
  queue: Queue<T>,
  name: string,
  id: string,
  data: T,
  recordFailure: (error: string) => Promise<void>,
): Promise<'requeued' | 'failed' | 'fine'> {
  const jobId = jobIdFor(queue.name as 'uploads' | 'reports', id);
  const job = await queue.getJob(jobId);
  const state = job ? await job.getState() : 'missing';
  if (state === 'failed') {
    await recordFailure(job?.failedReason ?? 'failed');
    return 'failed';
  }
  if (state !== 'missing' && state !== 'completed' && state !== 'unknown') return 'fine';
  // A completed job whose row still waits did not apply its effect; run it again.
  if (job) await job.remove();
  // @ts-expect-error BullMQ types the job name by the queue's generic name parameter.
  await queue.add(name, data, { jobId });
  return 'requeued';
}

export async function repairStrandedJobs(
  deps: WorkerDeps,
  queues: OpenQueues,
  olderThanMs: number,
): Promise<{ requeued: number; failed: number }> {
  const tally = { requeued: 0, failed: 0, fine: 0 };
  const cutoff = new Date(Date.now() - olderThanMs);
  if (queues.uploads) {
    const rows = (await deps.db
      .primary('uploads')
      .where({ status: 'queued' })
      .andWhere('updated_at', '<', cutoff)
      .select('id')
      .limit(500)) as { id: string }[];
    for (const { id } of rows) {
      const data = { uploadId: id, trace: injectTraceContext() };
      tally[await repair(queues.uploads, 'process-upload', id, data, (error) => rejectAfterFailure(deps, data, error))] += 1;
    }
  }
  if (queues.reports) {
    const rows = (await deps.db
      .primary('reports')
      .whereIn('status', ['queued', 'running'])
      .andWhere('created_at', '<', cutoff)
      .select('id')
      .limit(500)) as { id: string }[];
    for (const { id } of rows) {
      const data = { reportId: id, trace: injectTraceContext() };
      tally[await repair(queues.reports, 'build-report', id, data, (error) => failReport(deps, data, error))] += 1;
    }
  }
  return { requeued: tally.requeued, failed: tally.failed };
}
