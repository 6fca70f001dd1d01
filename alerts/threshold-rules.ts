/**
 * The seed's critical and warning alerts ("Performance Alerts Configuration"): p95 latency, error
 * rate, database connections, memory, CPU and disk, each with the team the seed pages or notifies.
 * Thresholds come from the platform's spec; teams from the SLA catalog.
 */
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS } from '../core/sla.js';
import { alertsPerLevel, formatPercent, formatSeconds, toAlertingRule, type AlertDefinition, type ThresholdLevel } from './annotations.js';
import type { RuleContext } from './context.js';
import { num, rate, sel, sumWithout } from './promql.js';
import { RECORD } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';

const { critical, warning } = ALERT_THRESHOLDS;

/** Thresholds the seed sets at both a critical and a warning level. */
type PairedThreshold = 'latencyP95Seconds' | 'errorRatio' | 'dbConnectionsRatio' | 'memoryRatio';
type Capitalised = Capitalize<PairedThreshold>;

/** `<base>Critical` (pages, after 5 minutes) and `<base>Warning` (notifies, after 10) for one seed threshold. */
function seedLevels(ctx: RuleContext, key: PairedThreshold, base: string): ThresholdLevel[] {
  const field = `${key.charAt(0).toUpperCase()}${key.slice(1)}` as Capitalised;
  return [
    { name: `${base}Critical`, severity: 'critical', threshold: ctx.alerts[`critical${field}`], team: critical[key].team, for: '5m' },
    { name: `${base}Warning`, severity: 'warning', threshold: ctx.alerts[`warning${field}`], team: warning[key].team, for: '10m' },
  ];
}

export function thresholdRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [
    ...latencyAlerts(ctx),
    ...errorRateAlerts(ctx),
    ...databaseConnectionAlerts(ctx),
    ...memoryAlerts(ctx),
    cpuAlert(ctx),
    diskAlert(ctx),
  ];
  return { name: 'passplatform-thresholds', rules: definitions.map((d) => toAlertingRule(d, ctx.runbookBaseUrl)) };
}

function latencyAlerts(ctx: RuleContext): AlertDefinition[] {
  return alertsPerLevel(seedLevels(ctx, 'latencyP95Seconds', 'ApiLatencyP95'), (level) => ({
    expr: `${RECORD.p95} > ${num(level.threshold)}`,
    summary: `p95 latency of {{ $labels.sla_class }} requests is above ${formatSeconds(level.threshold)}`,
    description: (value) =>
      `In {{ $labels.namespace }}, the 95th percentile of {{ $labels.sla_class }} request duration over 5 minutes is ${value} ` +
      `(${level.severity} above ${formatSeconds(level.threshold)}).`,
    valueFormat: 'duration',
  }));
}

function errorRateAlerts(ctx: RuleContext): AlertDefinition[] {
  return alertsPerLevel(seedLevels(ctx, 'errorRatio', 'ApiErrorRate'), (level) => ({
    expr: `${RECORD.errorRatio('5m')} > ${num(level.threshold)}`,
    summary: `More than ${formatPercent(level.threshold)} of API requests fail`,
    description: (value) =>
      `In {{ $labels.namespace }}, ${value} of API requests over 5 minutes were answered with a 5xx ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

function databaseConnectionAlerts(ctx: RuleContext): AlertDefinition[] {
  const used = sumWithout(['state'], sel(METRIC.dbPoolConnections, ctx.workload, 'state="used"'));
  const max = sel(METRIC.dbPoolMax, ctx.workload);
  return alertsPerLevel(seedLevels(ctx, 'dbConnectionsRatio', 'DatabaseConnections'), (level) => ({
    expr: `${used}\n/\n${max}\n> ${num(level.threshold)}`,
    summary: `Database pool {{ $labels.pool }} of {{ $labels.pod }} is over ${formatPercent(level.threshold)} in use`,
    description: (value) =>
      `{{ $labels.pod }} in {{ $labels.namespace }} uses ${value} of its {{ $labels.pool }} connection pool ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

function memoryAlerts(ctx: RuleContext): AlertDefinition[] {
  const ratio = `${sel(METRIC.processResidentMemory, ctx.workload)}\n/\n${sel(METRIC.processMemoryLimit, ctx.workload)}`;
  return alertsPerLevel(seedLevels(ctx, 'memoryRatio', 'MemoryUsage'), (level) => ({
    expr: `${ratio}\n> ${num(level.threshold)}`,
    summary: `{{ $labels.pod }} uses over ${formatPercent(level.threshold)} of its memory limit`,
    description: (value) =>
      `{{ $labels.component }} pod {{ $labels.pod }} in {{ $labels.namespace }} holds ${value} of its memory limit ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

function cpuAlert(ctx: RuleContext): AlertDefinition {
  const threshold = ctx.alerts.warningCpuRatio;
  return {
    name: 'CpuUsageHigh',
    expr: `${rate(sel(METRIC.processCpuSeconds, ctx.workload), '5m')}\n/\n${sel(METRIC.processCpuLimit, ctx.workload)}\n> ${num(threshold)}`,
    for: '15m',
    severity: 'warning',
    team: warning.cpuRatio.team,
    summary: `{{ $labels.pod }} uses over ${formatPercent(threshold)} of its CPU limit`,
    description: (value) =>
      `{{ $labels.component }} pod {{ $labels.pod }} in {{ $labels.namespace }} used ${value} of its CPU limit over 5 minutes ` +
      `(warning above ${formatPercent(threshold)}).`,
    valueFormat: 'percent',
  };
}

function diskAlert(ctx: RuleContext): AlertDefinition {
  const threshold = ctx.alerts.criticalDiskFreeRatio;
  return {
    name: 'DiskSpaceLow',
    expr: `${sel(METRIC.volumeFreeBytes, ctx.workload)}\n/\n${sel(METRIC.volumeSizeBytes, ctx.workload)}\n< ${num(threshold)}`,
    for: '5m',
    severity: 'critical',
    team: critical.diskFreeRatio.team,
    summary: `Volume {{ $labels.volume }} has less than ${formatPercent(threshold)} free`,
    description: (value) =>
      `The {{ $labels.volume }} volume of {{ $labels.pod }} in {{ $labels.namespace }} has ${value} free ` +
      `(critical below ${formatPercent(threshold)}).`,
    valueFormat: 'percent',
  };
}
