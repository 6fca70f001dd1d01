/**
 * The PrometheusRule groups of one platform: the `alerts/` generator (the same one that writes
 * the checked-in rule files from the SLA catalog) fed with this platform's own SLA targets,
 * thresholds and autoscaling interval, and scoped to its namespace and its operator series.
 */
import type { RuleGroup } from '../../cdk8s/platform/props.js';
import { buildRuleGroups } from '../../alerts/rules.js';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';

export type RuleGroupBuilder = (platform: { name: string; namespace: string; spec: PassPlatformSpec }) => RuleGroup[];

export const buildPlatformRuleGroups: RuleGroupBuilder = ({ name, namespace, spec }) =>
  buildRuleGroups(spec.alerts, spec.sla, {
    workloadMatchers: { namespace },
    platformMatchers: { platform: name, platform_namespace: namespace },
    autoscalingIntervalSeconds: spec.autoscaling.intervalSeconds,
    autoscalingEnabled: spec.autoscaling.enabled,
    ...(spec.monitoring?.runbookBaseUrl ? { runbookBaseUrl: spec.monitoring.runbookBaseUrl } : {}),
  }).map((group) => ({ ...group, name: `${name}.${group.name}` }));
