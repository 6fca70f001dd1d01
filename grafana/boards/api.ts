/** The API: traffic, latency and errors per route, concurrency, rate limiting and the event loop. */
import { METRIC } from '../../core/metric-names.js';
import { rate, sel, sumBy } from '../../alerts/promql.js';
import { SLA_QUANTILE, USER_TRAFFIC } from '../../alerts/recording-rules.js';
import type { AlertThresholdSpec } from '../../platform-api/v1alpha1/index.js';
import { timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, RATE, TAGS, WORKLOAD } from './common.js';

const COUNT = `${METRIC.httpServerDuration}_count`;
const BUCKET = `${METRIC.httpServerDuration}_bucket`;

export function apiDashboard(alerts: AlertThresholdSpec): DashboardSpec {
  const byRoute = ['http_route', 'sla_class'];
  return {
    uid: 'passplatform-api',
    title: 'PassPlatform / API',
    description: 'Per-route traffic, latency and errors of the Koa API pods.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'Routes',
        panels: [
          timeseries('Requests per second by route', 'reqps', [
            { expr: sumBy(byRoute, rate(sel(COUNT, WORKLOAD, USER_TRAFFIC), RATE)), legend: '{{http_route}}' },
          ]),
          timeseries(
            'p95 latency by route',
            's',
            [
              {
                expr: `histogram_quantile(${SLA_QUANTILE}, ${sumBy([...byRoute, 'le'], rate(sel(BUCKET, WORKLOAD, USER_TRAFFIC), RATE))})`,
                legend: '{{http_route}}',
              },
            ],
            {
              thresholds: [
                { value: alerts.warningLatencyP95Seconds, color: 'orange' },
                { value: alerts.criticalLatencyP95Seconds, color: 'red' },
              ],
            },
          ),
        ],
      },
      {
        title: 'Responses',
        panels: [
          timeseries(
            'Responses by status code',
            'reqps',
            [
              {
                expr: sumBy(['http_response_status_code'], rate(sel(COUNT, WORKLOAD, USER_TRAFFIC), RATE)),
                legend: '{{http_response_status_code}}',
              },
            ],
            { stack: true },
          ),
          timeseries('5xx by route', 'reqps', [
            {
              // Every route with traffic at 0 until it fails: an empty panel would not tell "no errors" from "no data".
              expr:
                `${sumBy(byRoute, rate(sel(COUNT, WORKLOAD, USER_TRAFFIC, 'http_response_status_code=~"5.."'), RATE))}\n` +
                `or ${sumBy(byRoute, rate(sel(COUNT, WORKLOAD, USER_TRAFFIC), RATE))} * 0`,
              legend: '{{http_route}}',
            },
          ]),
          timeseries('Rate-limited requests', 'reqps', [
            { expr: `sum(${rate(sel(METRIC.rateLimited, WORKLOAD), RATE)})`, legend: 'rejected' },
          ]),
        ],
      },
      {
        title: 'Pods',
        panels: [
          timeseries('In-flight requests per pod', 'short', [
            { expr: `sum by (pod) (${sel(METRIC.httpServerActiveRequests, WORKLOAD)})`, legend: '{{pod}}' },
          ]),
          timeseries('Event loop lag p99', 's', [{ expr: sel(METRIC.eventLoopLagP99, WORKLOAD), legend: '{{pod}}' }]),
          timeseries('Access-log buffer', 'short', [{ expr: sel(METRIC.accessLogBuffer, WORKLOAD), legend: '{{pod}}' }]),
        ],
      },
    ],
  };
}
