/**
 * Every metric the alert rules and dashboards read, parsed from their expressions. A test against
 * the running API, workers and operator checks each one is actually exported, so no alert or
 * panel points at a series that does not exist.
 */
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { buildDashboards } from './dashboards.js';
import { metricNamesIn } from '../alerts/promql.js';
import { buildOperatorRuleGroups, buildRuleGroups } from '../alerts/rules.js';
import { isAlertingRule } from '../alerts/rule-types.js';

export interface MetricReference {
  /** The series name as queried (`…_bucket`, `…_count` included). */
  name: string;
  /** Alert names, recording-rule names and `dashboard/panel` titles that read it. */
  readBy: string[];
}

/** Exported series the rules and dashboards read; names recorded by our own rules are left out. */
export function referencedMetrics(): MetricReference[] {
  const groups = [...buildRuleGroups(DEFAULT_ALERTS, DEFAULT_SLA), ...buildOperatorRuleGroups()];
  const recorded = new Set(groups.flatMap((g) => g.rules.filter((r) => !isAlertingRule(r)).map((r) => ('record' in r ? r.record : ''))));
  const reads = new Map<string, Set<string>>();
  const note = (expr: string, reader: string) => {
    for (const name of metricNamesIn(expr)) {
      if (recorded.has(name)) continue;
      const readers = reads.get(name) ?? new Set<string>();
      readers.add(reader);
      reads.set(name, readers);
    }
  };
  for (const group of groups) for (const rule of group.rules) note(rule.expr, isAlertingRule(rule) ? rule.alert : rule.record);
  for (const dashboard of buildDashboards(DEFAULT_SLA, DEFAULT_ALERTS).values()) {
    for (const panel of dashboard.panels as { title: string; targets?: { expr: string }[] }[]) {
      for (const target of panel.targets ?? []) note(target.expr, `${dashboard.title}/${panel.title}`);
    }
  }
  return [...reads].map(([name, readers]) => ({ name, readBy: [...readers].sort() })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The metric family a series belongs to (`x_bucket`/`x_count`/`x_sum` → `x`), as `# TYPE` lines name it. */
export function metricFamily(series: string): string {
  return series.replace(/_(bucket|count|sum)$/, '');
}
