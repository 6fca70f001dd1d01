/**
 * Operator health. Per platform (in its PrometheusRule): an autoscaler that stopped running and a
 * month-end cost projection over budget. Operator-wide (installed once with the operator): failing
 * reconciles and no replica holding the leader Lease.
 */
import { METRIC } from '../core/metric-names.js';
import { RECONCILE_RESULT } from '../core/metric-labels.js';
import { toAlertingRule, type AlertDefinition, type AlertRendering } from './annotations.js';
import { AUTOSCALER_MISSED_RUNS, type RuleContext } from './context.js';
import { labelIs, num, sel } from './promql.js';
import { SCALING_TEAM } from './queue-rules.js';
import type { RuleGroup } from './rule-types.js';

/** Only the leader writes per-platform series; dropping pod identity keeps a failover from doubling them. */
const ACROSS_REPLICAS = 'max without (instance, pod)';

export function autoscalingRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [...(ctx.autoscalingEnabled ? [autoscalerStuckAlert(ctx)] : []), budgetAlert(ctx)];
  return { name: 'passplatform-autoscaling', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

export function operatorRuleGroup(rendering: AlertRendering): RuleGroup {
  const definitions = [reconcileErrorsAlert(), noLeaderAlert(), operatorAbsentAlert()];
  return { name: 'passplatform-operator', rules: definitions.map((d) => toAlertingRule(d, rendering)) };
}

function autoscalerStuckAlert(ctx: RuleContext): AlertDefinition {
  const staleAfter = AUTOSCALER_MISSED_RUNS * ctx.autoscalingIntervalSeconds;
  return {
    name: 'AutoscalerStuck',
    expr: `time() - ${ACROSS_REPLICAS} (${sel(METRIC.autoscalerLastRun, ctx.platform)}) > ${num(staleAfter)}`,
    for: '2m',
    severity: 'critical',
    team: SCALING_TEAM,
    summary: 'The autoscaler of {{ $labels.platform_namespace }}/{{ $labels.platform }} has stopped running',
    description: (value) =>
      `The autoscaler last completed a run ${value} ago (it runs every ${num(ctx.autoscalingIntervalSeconds)}s): ` +
      `replica counts are frozen whatever the load does.`,
    valueFormat: 'duration',
  };
}

function budgetAlert(ctx: RuleContext): AlertDefinition {
  return {
    name: 'CostBudgetProjectionExceeded',
    expr:
      `${ACROSS_REPLICAS} (${sel(METRIC.costMonthProjection, ctx.platform)})\n>\n` +
      `${ACROSS_REPLICAS} (${sel(METRIC.costBudget, ctx.platform)})`,
    for: '1h',
    severity: 'warning',
    team: SCALING_TEAM,
    summary: 'The month-end cost of {{ $labels.platform_namespace }}/{{ $labels.platform }} is projected over its budget',
    description: (value) => `At the current spend rate the month ends at ${value} (spec.cost.currency), above spec.cost.monthlyBudget.`,
    valueFormat: 'money',
  };
}

function reconcileErrorsAlert(): AlertDefinition {
  const errors = sel(METRIC.reconcileTotal, {}, labelIs('reconcileTotal', 'result', RECONCILE_RESULT.error));
  return {
    name: 'OperatorReconcileErrors',
    expr: `sum by (platform, platform_namespace) (increase(${errors}[15m])) > 0`,
    // Conflicts requeue without counting as errors, so errors through a whole quarter hour are real.
    for: '15m',
    severity: 'warning',
    team: SCALING_TEAM,
    summary: 'Reconciles of {{ $labels.platform_namespace }}/{{ $labels.platform }} keep failing',
    description: (value) =>
      `The operator failed ${value} reconciles of this PassPlatform in the last 15 minutes; its children may not match the spec.`,
    valueFormat: 'number',
  };
}

/** Operator replicas are scraped, but none holds the Lease: leader election is stuck. */
function noLeaderAlert(): AlertDefinition {
  return {
    name: 'OperatorNoLeader',
    expr: `sum(${METRIC.operatorIsLeader}) < 1`,
    for: '5m',
    severity: 'critical',
    team: SCALING_TEAM,
    summary: 'Operator replicas run but none holds the leader Lease',
    description: (value) =>
      `${value} of the running operator replicas are leader: nothing reconciles, autoscales or records costs until one takes the Lease.`,
    valueFormat: 'number',
  };
}

/**
 * No operator replica is scraped at all (crashed, scaled to zero, or its ServiceMonitor lost):
 * an absence check, which `OperatorNoLeader` cannot be since it needs a replica to report.
 */
function operatorAbsentAlert(): AlertDefinition {
  return {
    name: 'OperatorAbsent',
    expr: `absent(${METRIC.operatorIsLeader})`,
    for: '5m',
    severity: 'critical',
    team: SCALING_TEAM,
    summary: 'No PassPlatform operator replica is being scraped',
    description: (value) =>
      `Prometheus has no series from any operator replica (absent() = ${value}): nothing reconciles, autoscales or records costs.`,
    valueFormat: 'number',
  };
}
