/** Database and cache: pools, query latency, replicas, cache hit rate. */
import { METRIC } from '../../core/metric-names.js';
import { labelIs, rate, sel, sumBy } from '../../alerts/promql.js';
import { CACHE_RESULT, POOL_STATE } from '../../core/metric-labels.js';
import { SLA_QUANTILE } from '../../alerts/recording-rules.js';
import { DB_QUERY_TARGETS } from '../../core/sla.js';
import type { AlertThresholdSpec } from '../../platform-api/v1alpha1/index.js';
import { timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, RATE, TAGS, WORKLOAD } from './common.js';

export function dataDashboard(alerts: AlertThresholdSpec): DashboardSpec {
  const lookups = rate(sel(METRIC.cacheRequests, WORKLOAD), RATE);
  const hits = rate(sel(METRIC.cacheRequests, WORKLOAD, labelIs('cacheRequests', 'result', CACHE_RESULT.hit)), RATE);
  return {
    uid: 'passplatform-data',
    title: 'PassPlatform / Database and cache',
    description: 'Postgres pools, query latency and read replicas; the two-level cache.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'Postgres',
        panels: [
          timeseries(
            'Pool connections by state',
            'short',
            [{ expr: sumBy(['pool', 'state'], sel(METRIC.dbPoolConnections, WORKLOAD)), legend: '{{pool}} {{state}}' }],
            { stack: true },
          ),
          timeseries(
            'Pool in use',
            'percentunit',
            [
              {
                expr: `${sumBy(['pool'], sel(METRIC.dbPoolConnections, WORKLOAD, labelIs('dbPoolConnections', 'state', POOL_STATE.used)))} / ${sumBy(['pool'], sel(METRIC.dbPoolMax, WORKLOAD))}`,
                legend: '{{pool}}',
              },
            ],
            {
              thresholds: [
                { value: alerts.warningDbConnectionsRatio, color: 'orange' },
                { value: alerts.criticalDbConnectionsRatio, color: 'red' },
              ],
              max: 1,
            },
          ),
          timeseries(
            'Query duration p95',
            's',
            [
              {
                expr: `histogram_quantile(${SLA_QUANTILE}, ${sumBy(['le'], rate(sel(`${METRIC.dbClientOperationDuration}_bucket`, WORKLOAD), RATE))})`,
                legend: 'p95',
              },
            ],
            {
              thresholds: [
                { value: DB_QUERY_TARGETS.simpleSeconds, color: 'orange' },
                { value: DB_QUERY_TARGETS.joinSeconds, color: 'red' },
              ],
            },
          ),
        ],
      },
      {
        title: 'Read replicas',
        panels: [
          timeseries('Replication lag', 's', [{ expr: `max by (replica) (${sel(METRIC.dbReplicaLag, WORKLOAD)})`, legend: '{{replica}}' }]),
          timeseries(
            'Replicas in rotation',
            'short',
            [{ expr: `min by (replica) (${sel(METRIC.dbReplicaHealthy, WORKLOAD)})`, legend: '{{replica}}' }],
            { min: 0, max: 1 },
          ),
        ],
      },
      {
        title: 'Cache',
        panels: [
          timeseries(
            'Hit rate by cache',
            'percentunit',
            [{ expr: `${sumBy(['cache'], hits)} / ${sumBy(['cache'], lookups)}`, legend: '{{cache}}' }],
            {
              baseColor: 'red',
              thresholds: [{ value: alerts.cacheHitRatioMin, color: 'green' }],
              min: 0,
              max: 1,
            },
          ),
          timeseries('Lookups by level and result', 'ops', [
            { expr: sumBy(['cache', 'level', 'result'], lookups), legend: '{{cache}} {{level}} {{result}}' },
          ]),
        ],
      },
    ],
  };
}
