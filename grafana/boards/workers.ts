/** Workers and queues: depth by state, waiting age, job duration and outcomes per queue. */
import { METRIC } from '../../core/metric-names.js';
import { labelIn, labelIs, labelsOf, maxBy, rate, sel, sumBy } from '../../alerts/promql.js';
import { JOB_OUTCOME } from '../../core/metric-labels.js';
import { SLA_QUANTILE } from '../../alerts/recording-rules.js';
import type { QueueAlertSpec } from '../../alerts/context.js';
import type { AlertThresholdSpec } from '../../platform-api/v1alpha1/index.js';
import { timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, RATE, TAGS, WORKLOAD } from './common.js';

export function workersDashboard(alerts: AlertThresholdSpec, queues: QueueAlertSpec): DashboardSpec {
  const finished = sel(METRIC.jobsProcessed, WORKLOAD, labelIn('jobsProcessed', 'outcome', [JOB_OUTCOME.completed, JOB_OUTCOME.failed]));
  const failed = sel(METRIC.jobsProcessed, WORKLOAD, labelIs('jobsProcessed', 'outcome', JOB_OUTCOME.failed));
  return {
    uid: 'passplatform-workers',
    title: 'PassPlatform / Workers and queues',
    description: 'BullMQ queues (uploads, reports): backlog, waiting age, duration and failures.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'Backlog',
        panels: [
          timeseries('Jobs by state', 'short', [
            { expr: maxBy(['queue', 'state'], sel(METRIC.queueJobs, WORKLOAD)), legend: '{{queue}} {{state}}' },
          ]),
          timeseries(
            'Oldest waiting job',
            's',
            [{ expr: maxBy(['queue'], sel(METRIC.queueOldestWaitingAge, WORKLOAD)), legend: '{{queue}}' }],
            {
              thresholds: [
                { value: queues.oldestWaitingWarningSeconds, color: 'orange' },
                { value: queues.oldestWaitingCriticalSeconds, color: 'red' },
              ],
            },
          ),
        ],
      },
      {
        title: 'Processing',
        panels: [
          timeseries('Jobs finished per second', 'ops', [
            {
              expr: sumBy(labelsOf('jobsProcessed', 'queue', 'outcome'), rate(sel(METRIC.jobsProcessed, WORKLOAD), RATE)),
              legend: '{{queue}} {{outcome}}',
            },
          ]),
          timeseries('Job duration p95', 's', [
            {
              expr: `histogram_quantile(${SLA_QUANTILE}, ${sumBy(['queue', 'le'], rate(sel(`${METRIC.jobDuration}_bucket`, WORKLOAD), RATE))})`,
              legend: '{{queue}}',
            },
          ]),
          timeseries(
            'Jobs failing after retries',
            'percentunit',
            [{ expr: `${sumBy(['queue'], rate(failed, RATE))} / ${sumBy(['queue'], rate(finished, RATE))}`, legend: '{{queue}}' }],
            {
              thresholds: [
                { value: alerts.warningErrorRatio, color: 'orange' },
                { value: alerts.criticalErrorRatio, color: 'red' },
              ],
              min: 0,
            },
          ),
        ],
      },
    ],
  };
}
