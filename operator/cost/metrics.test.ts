import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import { at, TEST_PRICES, TEST_SHAPES } from './fixtures.js';
import { appendChanges, appendPrices, emptyHistory } from './history-document.js';
import { CostMetrics } from './metrics.js';
import { computeCostReport } from './report.js';

describe('CostMetrics', () => {
  // api 2 replicas from Nov 1, 4 from Nov 5; as of Nov 8: 12 spent, 0.1/h now, projection 51.428571.
  const history = appendPrices(
    appendChanges(emptyHistory(), [
      { component: 'api', at: at('2026-11-01T00:00:00Z'), replicas: 2 },
      { component: 'api', at: at('2026-11-05T00:00:00Z'), replicas: 4 },
    ]),
    { ...TEST_PRICES, monthlyBudget: 40 },
    at('2026-11-01T00:00:00Z'),
  );
  const report = computeCostReport({
    history,
    shapes: { api: TEST_SHAPES.api },
    period: { month: '2026-11' },
    now: at('2026-11-08T00:00:00Z'),
  });
  const platform = { namespace: 'campus', name: 'pass' };

  it('exports spend rate, month-to-date, projection and budget under the alert labels', async () => {
    const registry = new Registry();
    const metrics = new CostMetrics(registry);
    metrics.update(platform, report);
    const text = await registry.metrics();
    const labels = '{platform="pass",platform_namespace="campus"}';
    assert.match(text, new RegExp(`^${METRIC.costSpendRate}${labels} 0.1$`, 'm'));
    assert.match(text, new RegExp(`^${METRIC.costMonthToDate}${labels} 12$`, 'm'));
    assert.match(text, new RegExp(`^${METRIC.costMonthProjection}${labels} 51.428571$`, 'm'));
    assert.match(text, new RegExp(`^${METRIC.costBudget}${labels} 40$`, 'm'));
  });

  it('drops the budget series when the budget is removed, and every series with the platform', async () => {
    const registry = new Registry();
    const metrics = new CostMetrics(registry);
    metrics.update(platform, report);
    metrics.update(platform, { ...report, spend: { ...report.spend, monthlyBudget: null } });
    assert.doesNotMatch(await registry.metrics(), new RegExp(`^${METRIC.costBudget}\\{`, 'm'));
    metrics.remove(platform);
    assert.doesNotMatch(await registry.metrics(), /platform_namespace="campus"/);
  });
});
