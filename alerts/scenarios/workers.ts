/** Scenarios for the worker queue alerts and the cache hit rate. */
import { METRIC } from '../../core/metric-names.js';
import { MIN_REQUESTS_PER_SECOND_FOR_DEGRADATION as MIN_RPS, type RuleContext } from '../context.js';
import { NAMESPACE, counter, gauge, series, type AlertScenario, type InputSeries } from './series.js';

const QUEUE = { namespace: NAMESPACE, queue: 'uploads' };
const WORKERS = ['worker-uploads-0', 'worker-uploads-1'];

/** Both worker pods report the queue; the second one a slightly older reading. */
function perWorker(metric: string, labels: Record<string, string>, values: (worker: number) => string): InputSeries[] {
  return WORKERS.map((pod, i) => ({ series: series(metric, { ...labels, pod }), values: values(i) }));
}

export function queueScenarios(ctx: RuleContext): AlertScenario[] {
  const q = ctx.queues;
  const age = (alert: string, threshold: number): AlertScenario[] => [
    {
      alert,
      name: `oldest job waiting ${threshold * 2}s fires`,
      inputSeries: perWorker(METRIC.queueOldestWaitingAge, QUEUE, (i) => gauge(threshold * 2 - i * 10, 20)),
      evalTime: '20m',
      fires: [{ labels: QUEUE, value: threshold * 2 }],
    },
    {
      alert,
      name: `oldest job waiting ${threshold / 2}s stays quiet`,
      inputSeries: perWorker(METRIC.queueOldestWaitingAge, QUEUE, () => gauge(threshold / 2, 20)),
      evalTime: '20m',
      fires: [],
    },
  ];
  const waiting = { ...QUEUE, state: 'waiting' };
  const growthPerMinute = q.backlogJobs / 20;
  const jobs = (failedShare: number): InputSeries[] => [
    {
      series: series(METRIC.jobsProcessed, { ...QUEUE, pod: WORKERS[0] ?? '', outcome: 'completed' }),
      values: counter({ perStep: 100 * (1 - failedShare), steps: 30 }),
    },
    {
      series: series(METRIC.jobsProcessed, { ...QUEUE, pod: WORKERS[0] ?? '', outcome: 'failed' }),
      values: counter({ perStep: 100 * failedShare, steps: 30 }),
    },
    // Attempts that will be retried are not failures.
    {
      series: series(METRIC.jobsProcessed, { ...QUEUE, pod: WORKERS[0] ?? '', outcome: 'retrying' }),
      values: counter({ perStep: 50, steps: 30 }),
    },
  ];
  const fewJobs: InputSeries[] = [
    { series: series(METRIC.jobsProcessed, { ...QUEUE, pod: WORKERS[0] ?? '', outcome: 'completed' }), values: `0+0x20 1+0x5 2+0x5` },
    { series: series(METRIC.jobsProcessed, { ...QUEUE, pod: WORKERS[0] ?? '', outcome: 'failed' }), values: `0+0x25 1+0x5` },
  ];
  const failures = (alert: string, threshold: number): AlertScenario[] => [
    {
      alert,
      name: `${threshold * 2} of jobs failing fires`,
      inputSeries: jobs(threshold * 2),
      evalTime: '30m',
      fires: [{ labels: QUEUE, value: threshold * 2 }],
    },
    { alert, name: `${threshold / 2} of jobs failing stays quiet`, inputSeries: jobs(threshold / 2), evalTime: '30m', fires: [] },
    { alert, name: 'one job of three failing stays quiet (too few jobs to judge)', inputSeries: fewJobs, evalTime: '30m', fires: [] },
  ];
  return [
    ...age('QueueJobsWaitingTooLong', q.oldestWaitingWarningSeconds),
    ...age('QueueJobsStalled', q.oldestWaitingCriticalSeconds),
    {
      alert: 'QueueBacklogGrowing',
      name: 'a backlog growing past the limit fires',
      inputSeries: perWorker(METRIC.queueJobs, waiting, () => counter({ perStep: growthPerMinute, steps: 60 })),
      evalTime: '1h',
      fires: [{ labels: QUEUE, value: growthPerMinute * 60 }],
    },
    {
      alert: 'QueueBacklogGrowing',
      name: 'a large backlog that no longer grows stays quiet',
      inputSeries: perWorker(METRIC.queueJobs, waiting, () => gauge(q.backlogJobs * 5, 60)),
      evalTime: '1h',
      fires: [],
    },
    ...failures('JobFailureRateCritical', ctx.alerts.criticalErrorRatio),
    ...failures('JobFailureRateWarning', ctx.alerts.warningErrorRatio),
  ];
}

export function cacheScenarios(ctx: RuleContext): AlertScenario[] {
  const cache = { namespace: NAMESPACE, cache: 'students' };
  const lookupsPerMinute = MIN_RPS * 60 * 10;
  const lookups = (hitShare: number, perMinute = lookupsPerMinute): InputSeries[] => [
    {
      series: series(METRIC.cacheRequests, { ...cache, pod: 'api-0', level: 'memory', result: 'hit' }),
      values: counter({ perStep: perMinute * hitShare * 0.5, steps: 60 }),
    },
    {
      series: series(METRIC.cacheRequests, { ...cache, pod: 'api-0', level: 'redis', result: 'hit' }),
      values: counter({ perStep: perMinute * hitShare * 0.5, steps: 60 }),
    },
    {
      series: series(METRIC.cacheRequests, { ...cache, pod: 'api-0', level: 'redis', result: 'miss' }),
      values: counter({ perStep: perMinute * (1 - hitShare), steps: 60 }),
    },
  ];
  const minimum = ctx.alerts.cacheHitRatioMin;
  const low = minimum * 0.8;
  return [
    {
      alert: 'CacheHitRateLow',
      name: `a hit rate of ${low} fires`,
      inputSeries: lookups(low),
      evalTime: '1h',
      fires: [{ labels: cache, value: low }],
    },
    {
      alert: 'CacheHitRateLow',
      name: `a hit rate of ${(1 + minimum) / 2} stays quiet`,
      inputSeries: lookups((1 + minimum) / 2),
      evalTime: '1h',
      fires: [],
    },
    {
      alert: 'CacheHitRateLow',
      name: 'a low hit rate on a trickle of lookups stays quiet',
      inputSeries: lookups(low, MIN_RPS * 30),
      evalTime: '1h',
      fires: [],
    },
  ];
}
