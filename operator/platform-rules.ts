/**
 * The PrometheusRule groups of one platform, built from its spec's SLA targets and alert
 * thresholds (which default to the SLA catalog). Reconcile takes the builder as a parameter, so
 * the `alerts/` generator can replace this one without touching reconcile.
 */
import type { RuleGroup } from '../cdk8s/platform/props.js';
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS, SLA_CLASS_NAMES } from '../core/sla.js';
import type { PassPlatformSpec } from './spec.js';

export type RuleGroupBuilder = (platform: { name: string; namespace: string; spec: PassPlatformSpec }) => RuleGroup[];

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

export const buildPlatformRuleGroups: RuleGroupBuilder = ({ name, namespace, spec }) => {
  const a = spec.alerts;
  const sel = `namespace="${namespace}",service=~"${name}-api|${name}-workers"`;
  const pods = `namespace="${namespace}",pod=~"${name}-.*"`;
  const http = METRIC.httpServerDuration;
  const p95 = (range = '5m', offset = '') => `histogram_quantile(0.95, sum by (le) (rate(${http}_bucket{${sel}}[${range}]${offset})))`;
  const errorRatio = `sum(rate(${http}_count{${sel},http_response_status_code=~"5.."}[5m])) / sum(rate(${http}_count{${sel}}[5m]))`;
  const labels = (severity: string, team: string) => ({ severity, team, passplatform: name });
  const T = ALERT_THRESHOLDS;
  return [
    {
      name: `${name}.sla`,
      rules: SLA_CLASS_NAMES.map((slaClass) => ({
        alert: 'PassPlatformSlaBreached',
        expr: `histogram_quantile(0.95, sum by (le) (rate(${http}_bucket{${sel},sla_class="${slaClass}"}[5m]))) > ${spec.sla[slaClass]}`,
        for: '10m',
        labels: { ...labels('warning', 'development'), sla_class: slaClass },
        annotations: {
          summary: `p95 latency of ${slaClass} is over its ${spec.sla[slaClass]} s target`,
          description: `{{ $value | humanizeDuration }} p95 for ${slaClass} on ${namespace}/${name}.`,
        },
      })),
    },
    {
      name: `${name}.alerts`,
      rules: [
        {
          alert: 'PassPlatformLatencyCritical',
          expr: `${p95()} > ${a.criticalLatencyP95Seconds}`,
          for: '5m',
          labels: labels('critical', T.critical.latencyP95Seconds.team),
          annotations: { summary: `p95 latency over ${a.criticalLatencyP95Seconds} s` },
        },
        {
          alert: 'PassPlatformLatencyWarning',
          expr: `${p95()} > ${a.warningLatencyP95Seconds}`,
          for: '5m',
          labels: labels('warning', T.warning.latencyP95Seconds.team),
          annotations: { summary: `p95 latency over ${a.warningLatencyP95Seconds} s` },
        },
        {
          alert: 'PassPlatformErrorRateCritical',
          expr: `${errorRatio} > ${a.criticalErrorRatio}`,
          for: '5m',
          labels: labels('critical', T.critical.errorRatio.team),
          annotations: { summary: `error rate over ${percent(a.criticalErrorRatio)}` },
        },
        {
          alert: 'PassPlatformErrorRateWarning',
          expr: `${errorRatio} > ${a.warningErrorRatio}`,
          for: '5m',
          labels: labels('warning', T.warning.errorRatio.team),
          annotations: { summary: `error rate over ${percent(a.warningErrorRatio)}` },
        },
        ...(['critical', 'warning'] as const).map((severity) => {
          const ratio = severity === 'critical' ? a.criticalDbConnectionsRatio : a.warningDbConnectionsRatio;
          return {
            alert: `PassPlatformDbConnections${severity === 'critical' ? 'Critical' : 'Warning'}`,
            expr: `sum(${METRIC.dbPoolConnections}{${sel}}) / sum(${METRIC.dbPoolMax}{${sel}}) > ${ratio}`,
            for: '5m',
            labels: labels(severity, T[severity].dbConnectionsRatio.team),
            annotations: { summary: `database connections over ${percent(ratio)} of the pool` },
          };
        }),
        ...(['critical', 'warning'] as const).map((severity) => {
          const ratio = severity === 'critical' ? a.criticalMemoryRatio : a.warningMemoryRatio;
          return {
            alert: `PassPlatformMemory${severity === 'critical' ? 'Critical' : 'Warning'}`,
            expr: `max by (pod) (container_memory_working_set_bytes{${pods},container!=""} / on (pod, container) kube_pod_container_resource_limits{${pods},resource="memory"}) > ${ratio}`,
            for: '5m',
            labels: labels(severity, T[severity].memoryRatio.team),
            annotations: { summary: `{{ $labels.pod }} memory over ${percent(ratio)} of its limit` },
          };
        }),
        {
          alert: 'PassPlatformCpuWarning',
          expr: `max by (pod) (rate(container_cpu_usage_seconds_total{${pods},container!=""}[5m]) / on (pod, container) kube_pod_container_resource_requests{${pods},resource="cpu"}) > ${a.warningCpuRatio}`,
          for: '10m',
          labels: labels('warning', T.warning.cpuRatio.team),
          annotations: { summary: `{{ $labels.pod }} CPU over ${percent(a.warningCpuRatio)} of its request` },
        },
        {
          alert: 'PassPlatformDiskLow',
          expr: `min by (persistentvolumeclaim) (kubelet_volume_stats_available_bytes{namespace="${namespace}",persistentvolumeclaim=~".*${name}-.*"} / kubelet_volume_stats_capacity_bytes{namespace="${namespace}",persistentvolumeclaim=~".*${name}-.*"}) < ${a.criticalDiskFreeRatio}`,
          for: '5m',
          labels: labels('critical', T.critical.diskFreeRatio.team),
          annotations: { summary: `{{ $labels.persistentvolumeclaim }} has under ${percent(a.criticalDiskFreeRatio)} free` },
        },
        {
          alert: 'PassPlatformLatencyDegraded',
          expr: `${p95('30m')} > ${1 + a.latencyIncreaseRatio} * ${p95('30m', ' offset 1w')}`,
          for: '15m',
          labels: labels('info', T.degradation.latencyIncreaseRatio.team),
          annotations: { summary: `p95 latency ${percent(a.latencyIncreaseRatio)} above the same time last week` },
        },
        {
          alert: 'PassPlatformThroughputDropped',
          expr: `sum(rate(${http}_count{${sel}}[30m])) < ${1 - a.throughputDecreaseRatio} * sum(rate(${http}_count{${sel}}[30m] offset 1w))`,
          for: '15m',
          labels: labels('warning', T.degradation.throughputDecreaseRatio.team),
          annotations: { summary: `throughput ${percent(a.throughputDecreaseRatio)} below the same time last week` },
        },
        {
          alert: 'PassPlatformCacheHitRateLow',
          expr: `sum(rate(${METRIC.cacheRequests}{${sel},result="hit"}[15m])) / sum(rate(${METRIC.cacheRequests}{${sel}}[15m])) < ${a.cacheHitRatioMin}`,
          for: '15m',
          labels: labels('warning', T.degradation.cacheHitRatioMin.team),
          annotations: { summary: `cache hit rate under ${percent(a.cacheHitRatioMin)}` },
        },
      ],
    },
  ];
};
