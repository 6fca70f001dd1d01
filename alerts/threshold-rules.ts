/**
 * The seed's critical and warning alerts ("Performance Alerts Configuration"): p95 latency, error
 * rate, database connections, memory, CPU and disk, each with the team the seed pages or notifies.
 * Thresholds come from the platform's spec; teams from the SLA catalog.
 */
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS } from '../core/sla.js';
import { alertsPerLevel, formatPercent, formatSeconds, toAlertingRule, type AlertDefinition, type ThresholdLevel } from './annotations.js';
import { MIN_REQUESTS_PER_SECOND_FOR_THRESHOLDS as MIN_RPS, SCOPE_LABELS, type RuleContext } from './context.js';
import { labelIs, maxBy, num, rate, sel, sumBy } from './promql.js';
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
  return { name: 'passplatform-thresholds', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

function latencyAlerts(ctx: RuleContext): AlertDefinition[] {
  return alertsPerLevel(seedLevels(ctx, 'latencyP95Seconds', 'ApiLatencyP95'), (level) => ({
    expr: `${RECORD.p95} > ${num(level.threshold)}\nand on (${[...SCOPE_LABELS, 'sla_class'].join(', ')})\n${RECORD.classRequestRate} > ${num(MIN_RPS)}`,
    summary: `p95 latency of {{ $labels.sla_class }} requests is above ${formatSeconds(level.threshold)}`,
    description: (value) =>
      `In {{ $labels.namespace }}, the 95th percentile of {{ $labels.sla_class }} request duration over 5 minutes is ${value} ` +
      `(${level.severity} above ${formatSeconds(level.threshold)}).`,
    valueFormat: 'duration',
  }));
}

function errorRateAlerts(ctx: RuleContext): AlertDefinition[] {
  return alertsPerLevel(seedLevels(ctx, 'errorRatio', 'ApiErrorRate'), (level) => ({
    expr: `${RECORD.errorRatio('5m')} > ${num(level.threshold)}\nand on (${SCOPE_LABELS.join(', ')})\n${RECORD.requestRate('5m')} > ${num(MIN_RPS)}`,
    summary: `More than ${formatPercent(level.threshold)} of API requests fail`,
    description: (value) =>
      `In {{ $labels.namespace }}, ${value} of API requests over 5 minutes were answered with a 5xx ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}

/**
 * Server connections of each Postgres instance against its own `max_connections`, from
 * CloudNativePG's default metrics: the limit that refuses clients when reached (every API and
 * worker pool together, through PgBouncer or not), not one client pool.
 */
function databaseConnectionAlerts(ctx: RuleContext): AlertDefinition[] {
  const byInstance = [...SCOPE_LABELS, 'pod'];
  const used = sumBy(byInstance, sel(METRIC.cnpgBackends, ctx.workload));
  const max = maxBy(byInstance, sel(METRIC.cnpgSetting, ctx.workload, labelIs('cnpgSetting', 'name', 'max_connections')));
  return alertsPerLevel(seedLevels(ctx, 'dbConnectionsRatio', 'DatabaseConnections'), (level) => ({
    expr: `${used}\n/\n${max}\n> ${num(level.threshold)}`,
    summary: `Postgres instance {{ $labels.pod }} has over ${formatPercent(level.threshold)} of max_connections in use`,
    description: (value) =>
      `Postgres instance {{ $labels.pod }} in {{ $labels.namespace }} serves ${value} of its max_connections ` +
      `(${level.severity} above ${formatPercent(level.threshold)}); new clients are refused when it is reached.`,
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

/**
 * CPU used against what the container may count on: its limit when it has one, else its request
 * (pods run without a CPU limit), never the node's cores.
 */
function cpuAlert(ctx: RuleContext): AlertDefinition {
  const threshold = ctx.alerts.warningCpuRatio;
  // Both gauges are 0 when the container has none: only a positive one is an allowance.
  const allowance = `(${sel(METRIC.processCpuLimit, ctx.workload)} > 0 or ${sel(METRIC.processCpuRequest, ctx.workload)} > 0)`;
  return {
    name: 'CpuUsageHigh',
    expr: `${rate(sel(METRIC.processCpuSeconds, ctx.workload), '5m')}\n/\n${allowance}\n> ${num(threshold)}`,
    for: '15m',
    severity: 'warning',
    team: warning.cpuRatio.team,
    summary: `{{ $labels.pod }} uses over ${formatPercent(threshold)} of its CPU limit or request`,
    description: (value) =>
      `{{ $labels.component }} pod {{ $labels.pod }} in {{ $labels.namespace }} used ${value} of its CPU limit ` +
      `(or, without one, its request) over 5 minutes (warning above ${formatPercent(threshold)}).`,
    valueFormat: 'percent',
  };
}

/**
 * Every volume: the ones the processes write themselves (uploads) and every PersistentVolumeClaim
 * of the namespace through kubelet's volume stats (Postgres, Redis). The `volume` label names
 * either, so one alert and one runbook cover them all.
 */
function diskAlert(ctx: RuleContext): AlertDefinition {
  const threshold = ctx.alerts.criticalDiskFreeRatio;
  const processVolumes = `${sel(METRIC.volumeFreeBytes, ctx.workload)}\n/\n${sel(METRIC.volumeSizeBytes, ctx.workload)}`;
  const asVolume = (metric: string) => `label_replace(${sel(metric, ctx.workload)}, "volume", "$1", "persistentvolumeclaim", "(.+)")`;
  const claims = `${asVolume(METRIC.kubeletVolumeAvailable)}\n/\n${asVolume(METRIC.kubeletVolumeCapacity)}`;
  return {
    name: 'DiskSpaceLow',
    expr: `(\n${processVolumes}\n) < ${num(threshold)}\nor\n(\n${claims}\n) < ${num(threshold)}`,
    for: '5m',
    severity: 'critical',
    team: critical.diskFreeRatio.team,
    summary: `Volume {{ $labels.volume }} has less than ${formatPercent(threshold)} free`,
    description: (value) =>
      `The {{ $labels.volume }} volume in {{ $labels.namespace }} has ${value} free ` + `(critical below ${formatPercent(threshold)}).`,
    valueFormat: 'percent',
  };
}
