/**
 * The cost gauges: spend rate, month-to-date, month-end projection and budget per platform, set
 * from the current month's report. A thin wrapper: every figure comes from computeCostReport.
 * Per line: spend rate, month to date (allocated: max(request, usage) where usage was measured)
 * and the idle part of it. The budget alert (alerts/) compares the projection with the budget on these labels.
 */
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import { labelNamesOf } from '../../core/metric-labels.js';
import { COST_LINES } from './prices.js';
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
  private readonly lineSpendRate: Gauge<Label | 'cost_line'>;
  private readonly lineMonthToDate: Gauge<Label | 'cost_line'>;
  private readonly lineIdleMonthToDate: Gauge<Label | 'cost_line'>;

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
    this.lineSpendRate = new Gauge({
      name: METRIC.costLineSpendRate,
      help: 'Cost per hour of the replicas of one cost line running now, in spec.cost.currency.',
      labelNames: labelNamesOf('costLineSpendRate'),
      registers: [registry],
    });
    this.lineMonthToDate = new Gauge({
      name: METRIC.costLineMonthToDate,
      help: 'Cost of one cost line in the current calendar month (UTC) so far, in spec.cost.currency; pods with measured usage at max(request, usage).',
      labelNames: labelNamesOf('costLineMonthToDate'),
      registers: [registry],
    });
    this.lineIdleMonthToDate = new Gauge({
      name: METRIC.costLineIdleMonthToDate,
      help: 'Requested vCPU and memory of one pod cost line that no container used, this month so far (part of its cost); only with measured usage.',
      labelNames: labelNamesOf('costLineIdleMonthToDate'),
      registers: [registry],
    });
  }

  /** Sets the gauges from a report of the current month. */
  update(platform: PlatformRef, report: CostReport): void {
    const labels = labelsOf(platform);
    this.spendRate.set(labels, report.spend.ratePerHour);
    this.monthToDate.set(labels, report.total.cost);
    this.projection.set(labels, report.spend.projection ?? report.total.cost);
    if (report.spend.monthlyBudget === null) this.budget.remove(labels);
    else this.budget.set(labels, report.spend.monthlyBudget);
    for (const line of report.lines.filter((l) => l.priced)) {
      this.lineMonthToDate.set({ ...labels, cost_line: line.line }, line.cost);
      this.lineSpendRate.set({ ...labels, cost_line: line.line }, report.spend.ratePerHourByLine[line.line] ?? 0);
      if (line.allocation) this.lineIdleMonthToDate.set({ ...labels, cost_line: line.line }, line.allocation.idleCost);
      else this.lineIdleMonthToDate.remove({ ...labels, cost_line: line.line });
    }
  }

  /** Drops a deleted platform's series, so no stale figure is left for the alert. */
  remove(platform: PlatformRef): void {
    const labels = labelsOf(platform);
    for (const gauge of [this.spendRate, this.monthToDate, this.projection, this.budget]) gauge.remove(labels);
    for (const gauge of [this.lineSpendRate, this.lineMonthToDate, this.lineIdleMonthToDate]) {
      for (const line of COST_LINES) gauge.remove({ ...labels, cost_line: line });
    }
  }
}

function labelsOf(platform: PlatformRef): Record<Label, string> {
  return { platform: platform.name, platform_namespace: platform.namespace };
}
