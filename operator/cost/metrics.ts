/**
 * The cost gauges: spend rate, month-to-date, month-end projection and budget per platform, set
 * from the current month's report. A thin wrapper: every figure comes from computeCostReport.
 * The budget alert (alerts/) compares the projection with the budget on these labels.
 */
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import type { CostReport } from './report.js';

type Label = 'platform' | 'platform_namespace';

export interface PlatformRef {
  namespace: string;
  name: string;
}

export class CostMetrics {
  private readonly spendRate: Gauge<Label>;
  private readonly monthToDate: Gauge<Label>;
  private readonly projection: Gauge<Label>;
  private readonly budget: Gauge<Label>;

  constructor(registry: Registry) {
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['platform', 'platform_namespace'] as const, registers: [registry] });
    this.spendRate = gauge(METRIC.costSpendRate, 'Cost per hour of the replicas running now, in spec.cost.currency.');
    this.monthToDate = gauge(METRIC.costMonthToDate, 'Cost of the current calendar month (UTC) so far, in spec.cost.currency.');
    this.projection = gauge(
      METRIC.costMonthProjection,
      'Month-end cost: month-to-date plus the trailing-week run rate for the hours left.',
    );
    this.budget = gauge(METRIC.costBudget, 'spec.cost.monthlyBudget; absent when the platform has none.');
  }

  /** Sets the gauges from a report of the current month. */
  update(platform: PlatformRef, report: CostReport): void {
    const labels = labelsOf(platform);
    this.spendRate.set(labels, report.spend.ratePerHour);
    this.monthToDate.set(labels, report.total.cost);
    this.projection.set(labels, report.spend.projection ?? report.total.cost);
    if (report.spend.monthlyBudget === null) this.budget.remove(labels);
    else this.budget.set(labels, report.spend.monthlyBudget);
  }

  /** Drops a deleted platform's series, so no stale figure is left for the alert. */
  remove(platform: PlatformRef): void {
    const labels = labelsOf(platform);
    for (const gauge of [this.spendRate, this.monthToDate, this.projection, this.budget]) gauge.remove(labels);
  }
}

function labelsOf(platform: PlatformRef): Record<Label, string> {
  return { platform: platform.name, platform_namespace: platform.namespace };
}
