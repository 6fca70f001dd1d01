/**
 * The workers' Prometheus signals, the ones the autoscaler scales on: jobs per queue and state
 * (read from BullMQ at scrape time with getJobCounts, which counts the `wait`/`active`
 * lists and the `prioritized`/`delayed` sorted sets alike), the age of the oldest waiting job,
 * and per-job duration and outcome.
 */
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC } from '../core/metric-names.js';
import { JOB_OUTCOME, labelNamesOf, type JobOutcome } from '../core/metric-labels.js';
import { LATENCY_BUCKETS_SECONDS } from '../core/sla.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

export type { JobOutcome } from '../core/metric-labels.js';

export interface JobMetrics {
  observe(queue: string, outcome: JobOutcome, seconds: number): void;
}

/** Age in seconds of the job that has waited longest (waiting or prioritized), 0 when none waits. */
export async function oldestWaitingAgeSeconds(queue: Queue, now = Date.now()): Promise<number> {
  const [waiting, prioritized] = await Promise.all([queue.getJobs(['wait'], 0, 0, true), queue.getJobs(['prioritized'], 0, 0, true)]);
  const oldest = Math.min(...[...waiting, ...prioritized].map((job) => job.timestamp));
  return Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0;
}

export function registerQueueMetrics(registry: Registry, queues: Queue[]): JobMetrics {
  new Gauge({
    name: METRIC.queueJobs,
    help: 'Jobs in each queue by state.',
    labelNames: labelNamesOf('queueJobs'),
    registers: [registry],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: METRIC.queueOldestWaitingAge,
    help: 'Age of the oldest job waiting in each queue, seconds.',
    labelNames: labelNamesOf('queueOldestWaitingAge'),
    registers: [registry],
    async collect() {
      for (const queue of queues) this.set({ queue: queue.name }, await oldestWaitingAgeSeconds(queue));
    },
  });
  const duration = new Histogram({
    name: METRIC.jobDuration,
    help: 'Time a worker spent on a job attempt, seconds.',
    labelNames: labelNamesOf('jobDuration'),
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers: [registry],
  });
  const processed = new Counter({
    name: METRIC.jobsProcessed,
    help: 'Job attempts finished, by outcome (retrying: failed, another attempt follows).',
    labelNames: labelNamesOf('jobsProcessed'),
    registers: [registry],
  });
  // Every queue and outcome exported at 0 from the start: a counter that first appears already at
  // 12 (a burst of failures between two scrapes) shows no increase to rate() and the failure alerts.
  for (const queue of queues) {
    for (const outcome of Object.values(JOB_OUTCOME)) {
      processed.inc({ queue: queue.name, outcome }, 0);
      duration.zero({ queue: queue.name, outcome });
    }
  }
  return {
    observe(queue, outcome, seconds) {
      duration.observe({ queue, outcome }, seconds);
      processed.inc({ queue, outcome });
    },
  };
}
