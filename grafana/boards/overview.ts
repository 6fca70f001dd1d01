/** Platform overview: each SLA class against its target, traffic, errors and saturation at a glance. */
import { METRIC } from '../../core/metric-names.js';
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import { labelIs, labelsOf, num, rate, sel, sumBy } from '../../alerts/promql.js';
import { POOL_STATE } from '../../core/metric-labels.js';
import { RECORD } from '../../alerts/recording-rules.js';
import type { AlertThresholdSpec, SlaSpec } from '../../platform-api/v1alpha1/index.js';
import { stat, timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, RATE, TAGS, WORKLOAD } from './common.js';

export function overviewDashboard(sla: SlaSpec, alerts: AlertThresholdSpec): DashboardSpec {
  const p95 = (slaClass: string) => sel(RECORD.p95, { ...WORKLOAD, sla_class: slaClass });
  return {
    uid: 'passplatform-overview',
    title: 'PassPlatform / Overview',
    description: 'SLA per class against its p95 target, traffic, errors and saturation.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'SLA: p95 latency per class (red at the target)',
        height: 5,
        panels: SLA_CLASS_NAMES.map((c) =>
          stat(`${c} (target ${num(sla[c])}s)`, 's', [{ expr: p95(c), legend: c }], { thresholds: [{ value: sla[c], color: 'red' }] }),
        ),
      },
      {
        title: 'SLA over time',
        panels: [
          timeseries(
            'p95 as a share of its target (1 = at target)',
            'percentunit',
            SLA_CLASS_NAMES.map((c) => ({ expr: `${p95(c)} / ${num(sla[c])}`, legend: c })),
            {
              thresholds: [{ value: 1, color: 'red' }],
            },
          ),
          timeseries(
            'Requests slower than their target (SLO allows 5%)',
            'percentunit',
            [{ expr: sel(RECORD.slowRatio('5m'), WORKLOAD), legend: '{{sla_class}}' }],
            { thresholds: [{ value: 0.05, color: 'red' }], min: 0 },
          ),
        ],
      },
      {
        title: 'Traffic and errors',
        panels: [
          timeseries('Requests per second by class', 'reqps', [{ expr: sel(RECORD.classRequestRate, WORKLOAD), legend: '{{sla_class}}' }], {
            stack: true,
          }),
          timeseries('5xx ratio', 'percentunit', [{ expr: sel(RECORD.errorRatio('5m'), WORKLOAD), legend: 'errors' }], {
            thresholds: [
              { value: alerts.warningErrorRatio, color: 'orange' },
              { value: alerts.criticalErrorRatio, color: 'red' },
            ],
            min: 0,
          }),
          // Weighted by traffic: every 5-minute rate sample counts by its requests, so a quiet hour with one error weighs little.
          stat('Availability (30 days, traffic-weighted)', 'percentunit', [
            {
              expr: `1 - sum_over_time(${sel(RECORD.errorRate('5m'), WORKLOAD)}[30d]) / sum_over_time(${sel(RECORD.requestRate('5m'), WORKLOAD)}[30d])`,
            },
          ]),
        ],
      },
      {
        title: 'Saturation',
        panels: [
          timeseries(
            'CPU of its limit (or request)',
            'percentunit',
            [
              {
                expr: `${rate(sel(METRIC.processCpuSeconds, WORKLOAD), RATE)} / (${sel(METRIC.processCpuLimit, WORKLOAD)} > 0 or ${sel(METRIC.processCpuRequest, WORKLOAD)} > 0)`,
                legend: '{{pod}}',
              },
            ],
            {
              thresholds: [{ value: alerts.warningCpuRatio, color: 'orange' }],
            },
          ),
          timeseries(
            'Memory of its limit',
            'percentunit',
            [{ expr: `${sel(METRIC.processResidentMemory, WORKLOAD)} / ${sel(METRIC.processMemoryLimit, WORKLOAD)}`, legend: '{{pod}}' }],
            {
              thresholds: [
                { value: alerts.warningMemoryRatio, color: 'orange' },
                { value: alerts.criticalMemoryRatio, color: 'red' },
              ],
            },
          ),
          timeseries(
            'Database pool in use',
            'percentunit',
            [
              {
                expr: `sum without (state) (${sel(METRIC.dbPoolConnections, WORKLOAD, labelIs('dbPoolConnections', 'state', POOL_STATE.used))}) / ${sel(METRIC.dbPoolMax, WORKLOAD)}`,
                legend: '{{pod}} {{pool}}',
              },
            ],
            {
              thresholds: [
                { value: alerts.warningDbConnectionsRatio, color: 'orange' },
                { value: alerts.criticalDbConnectionsRatio, color: 'red' },
              ],
            },
          ),
          timeseries('Oldest waiting job', 's', [
            { expr: `max by (queue) (${sel(METRIC.queueOldestWaitingAge, WORKLOAD)})`, legend: '{{queue}}' },
          ]),
        ],
      },
      {
        title: 'Gate verifications',
        height: 6,
        panels: [
          timeseries(
            'Pass verifications per second',
            'ops',
            [
              {
                expr: sumBy(labelsOf('passVerifications', 'outcome'), rate(sel(METRIC.passVerifications, WORKLOAD), RATE)),
                legend: '{{outcome}}',
              },
            ],
            { stack: true },
          ),
        ],
      },
    ],
  };
}
