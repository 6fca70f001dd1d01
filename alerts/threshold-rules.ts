/**
 * The seed's critical and warning alerts ("Performance Alerts Configuration"): p95 latency, error
 * rate, database connections, memory, CPU and disk, each with the team the seed pages or notifies.
 * Thresholds come from the platform's spec; teams from the SLA catalog.
 */
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS } from '../core/sla.js';
import { formatPercent, formatSeconds, toAlertingRule, type AlertDefinition } from './annotations.js';
import type { RuleContext } from './context.js';
import { num, rate, sel, sumWithout } from './promql.js';
import { RECORD } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';

const { critical, warning } = ALERT_THRESHOLDS;

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
  const levels = [
    { name: 'ApiLatencyP95Critical', severity: 'critical', threshold: ctx.alerts.criticalLatencyP95Seconds, team: critical.latencyP95Seconds.team, for: '5m' },
    { name: 'ApiLatencyP95Warning', severity: 'warning', threshold: ctx.alerts.warningLatencyP95Seconds, team: warning.latencyP95Seconds.team, for: '10m' },
  ] as const;
  return levels.map((level) => ({
    name: level.name,
    expr: `${RECORD.p95} > ${num(level.threshold)}`,
    for: level.for,
    severity: level.severity,
    team: level.team,
    summary: `p95 latency of {{ $labels.sla_class }} requests is above ${formatSeconds(level.threshold)}`,
    description: (value) =>
      `In {{ $labels.namespace }}, the 95th percentile of {{ $labels.sla_class }} request duration over 5 minutes is ${value} ` +
      `(${level.severity} above ${formatSeconds(level.threshold)}).`,
    valueFormat: 'duration',
  }));
}

function errorRateAlerts(ctx: RuleContext): AlertDefinition[] {
  const levels = [
    { name: 'ApiErrorRateCritical', severity: 'critical', threshold: ctx.alerts.criticalErrorRatio, team: critical.errorRatio.team, for: '5m' },
    { name: 'ApiErrorRateWarning', severity: 'warning', threshold: ctx.alerts.warningErrorRatio, team: warning.errorRatio.team, for: '10m' },
  ] as const;
  return levels.map((level) => ({
    name: level.name,
    expr: `${RECORD.errorRatio('5m')} > ${num(level.threshold)}`,
    for: level.for,
    severity: level.severity,
    team: level.team,
    summary: `More than ${formatPercent(level.threshold)} of API requests fail`,
    description: (value) =>
      `In {{ $labels.namespace }}, ${value} of API requests over 5 minutes were answered with a 5xx ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

function databaseConnectionAlerts(ctx: RuleContext): AlertDefinition[] {
  const levels = [
    { name: 'DatabaseConnectionsCritical', severity: 'critical', threshold: ctx.alerts.criticalDbConnectionsRatio, team: critical.dbConnectionsRatio.team, for: '5m' },
    { name: 'DatabaseConnectionsWarning', severity: 'warning', threshold: ctx.alerts.warningDbConnectionsRatio, team: warning.dbConnectionsRatio.team, for: '10m' },
  ] as const;
  const used = sumWithout(['state'], sel(METRIC.dbPoolConnections, ctx.workload, 'state="used"'));
  const max = sel(METRIC.dbPoolMax, ctx.workload);
  return levels.map((level) => ({
    name: level.name,
    expr: `${used}\n/\n${max}\n> ${num(level.threshold)}`,
    for: level.for,
    severity: level.severity,
    team: level.team,
    summary: `Database pool {{ $labels.pool }} of {{ $labels.pod }} is over ${formatPercent(level.threshold)} in use`,
    description: (value) =>
      `{{ $labels.pod }} in {{ $labels.namespace }} uses ${value} of its {{ $labels.pool }} connection pool ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

function memoryAlerts(ctx: RuleContext): AlertDefinition[] {
  const levels = [
    { name: 'MemoryUsageCritical', severity: 'critical', threshold: ctx.alerts.criticalMemoryRatio, team: critical.memoryRatio.team, for: '5m' },
    { name: 'MemoryUsageWarning', severity: 'warning', threshold: ctx.alerts.warningMemoryRatio, team: warning.memoryRatio.team, for: '10m' },
  ] as const;
  const ratio = `${sel(METRIC.processResidentMemory, ctx.workload)}\n/\n${sel(METRIC.processMemoryLimit, ctx.workload)}`;
  return levels.map((level) => ({
    name: level.name,
    expr: `${ratio}\n> ${num(level.threshold)}`,
    for: level.for,
    severity: level.severity,
    team: level.team,
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
