/**
 * The alert and recording rules of a PassPlatform, built from its thresholds and SLA targets. The
 * operator calls `buildRuleGroups` with each platform's spec for its PrometheusRule child; the
 * checked-in files under `alerts/prometheus/` are the same call on the catalog's defaults.
 */
import type { AlertThresholdSpec, SlaSpec } from '../platform-api/v1alpha1/index.js';
import { alertRendering } from './annotations.js';
import { availabilityRuleGroup } from './availability-rules.js';
import { ruleContext, type RuleBuildOptions } from './context.js';
import { degradationRuleGroup } from './degradation-rules.js';
import { autoscalingRuleGroup, operatorRuleGroup } from './operator-rules.js';
import { queueRuleGroup } from './queue-rules.js';
import { recordingRuleGroup } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';
import { sloRuleGroup } from './slo-rules.js';
import { thresholdRuleGroup } from './threshold-rules.js';

export type { RuleBuildOptions } from './context.js';
export type { AlertingRule, RecordingRule, Rule, RuleGroup } from './rule-types.js';

/** The rule groups of one platform: the `spec.groups` of its PrometheusRule. */
export function buildRuleGroups(alerts: AlertThresholdSpec, sla: SlaSpec, options: RuleBuildOptions = {}): RuleGroup[] {
  const ctx = ruleContext(alerts, sla, options);
  return [
    recordingRuleGroup(ctx),
    availabilityRuleGroup(ctx),
    thresholdRuleGroup(ctx),
    degradationRuleGroup(ctx),
    sloRuleGroup(ctx),
    queueRuleGroup(ctx),
    autoscalingRuleGroup(ctx),
  ];
}

/** Rules about the operator itself, installed once beside it rather than per platform. */
export function buildOperatorRuleGroups(options: Pick<RuleBuildOptions, 'runbookBaseUrl' | 'maxFor'> = {}): RuleGroup[] {
  return [operatorRuleGroup(alertRendering(options))];
}
