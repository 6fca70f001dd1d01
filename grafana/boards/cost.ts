/** Cost: spend rate per component, month to date, projection against budget, cost per request. */
import { METRIC } from '../../core/metric-names.js';
import { sel } from '../../alerts/promql.js';
import { RECORD } from '../../alerts/recording-rules.js';
import { stat, timeseries, type DashboardSpec } from '../builder.js';
import { NAMESPACE_VARIABLE, PLATFORM, TAGS, WORKLOAD } from './common.js';

export function costDashboard(): DashboardSpec {
  const spendPerHour = `sum(${sel(METRIC.costSpendRate, PLATFORM)})`;
  return {
    uid: 'passplatform-cost',
    title: 'PassPlatform / Cost',
    description: 'What the autoscaled fleet costs, per component and per request, against the monthly budget.',
    tags: TAGS,
    variables: [NAMESPACE_VARIABLE],
    rows: [
      {
        title: 'This month',
        height: 5,
        panels: [
          stat('Month to date', 'currencyUSD', [{ expr: `sum(${sel(METRIC.costMonthToDate, PLATFORM)})` }]),
          stat('Projected month end', 'currencyUSD', [{ expr: `max(${sel(METRIC.costMonthProjection, PLATFORM)})` }]),
          stat('Monthly budget', 'currencyUSD', [{ expr: `max(${sel(METRIC.costBudget, PLATFORM)})` }]),
          stat('Cost per 1,000 requests', 'currencyUSD', [
            { expr: `${spendPerHour} / (sum(${sel(RECORD.requestRate('1h'), WORKLOAD)}) * 3600) * 1000` },
          ]),
        ],
      },
      {
        title: 'Spend',
        panels: [
          timeseries(
            'Spend per hour by component',
            'currencyUSD',
            [{ expr: `sum by (cost_line) (${sel(METRIC.costLineSpendRate, PLATFORM)})`, legend: '{{cost_line}}' }],
            { stack: true },
          ),
          timeseries(
            'Month to date by component',
            'currencyUSD',
            [{ expr: `sum by (cost_line) (${sel(METRIC.costLineMonthToDate, PLATFORM)})`, legend: '{{cost_line}}' }],
            { stack: true },
          ),
          timeseries('Projection against budget', 'currencyUSD', [
            { expr: `max(${sel(METRIC.costMonthProjection, PLATFORM)})`, legend: 'projection' },
            { expr: `max(${sel(METRIC.costBudget, PLATFORM)})`, legend: 'budget' },
          ]),
        ],
      },
    ],
  };
}
