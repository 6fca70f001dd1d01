/** The operator's autoscaler: replicas it asks for, the decisions it takes, and its own health. */
import { METRIC } from '../../core/metric-names.js';
import { rate, sel, sumBy } from '../../alerts/promql.js';
import { SLA_QUANTILE } from '../../alerts/recording-rules.js';
import { stat, timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, PLATFORM, RATE, TAGS } from './common.js';

export function autoscalerDashboard(): DashboardSpec {
  return {
    uid: 'passplatform-autoscaler',
    title: 'PassPlatform / Autoscaler',
    description: 'Replica counts the operator sets per component, why it changed them, and whether it is running.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'Decisions',
        panels: [
          timeseries('Desired replicas by component', 'short', [
            { expr: `max by (component) (${sel(METRIC.desiredReplicas, PLATFORM)})`, legend: '{{component}}' },
          ]),
          timeseries(
            'Scaling decisions',
            'short',
            [
              {
                expr: sumBy(['component', 'direction'], `increase(${sel(METRIC.scalingDecisions, PLATFORM)}[${RATE}])`),
                legend: '{{component}} {{direction}}',
              },
            ],
            { stack: true },
          ),
        ],
      },
      {
        title: 'Operator health',
        panels: [
          stat('Seconds since the last autoscaler run', 's', [{ expr: `time() - max(${sel(METRIC.autoscalerLastRun, PLATFORM)})` }]),
          stat('Leader replicas', 'short', [{ expr: `sum(${METRIC.operatorIsLeader})` }], {
            baseColor: 'red',
            thresholds: [
              { value: 1, color: 'green' },
              { value: 2, color: 'red' },
            ],
          }),
          timeseries('Reconciles by result', 'ops', [
            { expr: sumBy(['result'], rate(sel(METRIC.reconcileTotal, PLATFORM), RATE)), legend: '{{result}}' },
          ]),
          timeseries('Reconcile duration p95', 's', [
            {
              expr: `histogram_quantile(${SLA_QUANTILE}, ${sumBy(['le'], rate(sel(`${METRIC.reconcileDuration}_bucket`, PLATFORM), RATE))})`,
              legend: 'p95',
            },
          ]),
        ],
      },
    ],
  };
}
