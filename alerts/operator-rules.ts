/**
 * Operator health. Per platform (in its PrometheusRule): an autoscaler that stopped running and a
 * month-end cost projection over budget. Operator-wide (installed once with the operator): failing
 * reconciles and no replica holding the leader Lease.
 */
import { METRIC } from '../core/metric-names.js';
import { toAlertingRule, type AlertDefinition } from './annotations.js';
import { AUTOSCALER_MISSED_RUNS, type RuleContext } from './context.js';
import { num, sel } from './promql.js';
import { SCALING_TEAM } from './queue-rules.js';
import type { RuleGroup } from './rule-types.js';

/** Only the leader writes per-platform series; dropping pod identity keeps a failover from doubling them. */
const ACROSS_REPLICAS = 'max without (instance, pod)';

export function autoscalingRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [...(ctx.autoscalingEnabled ? [autoscalerStuckAlert(ctx)] : []), budgetAlert(ctx)];
  return { name: 'passplatform-autoscaling', rules: definitions.map((d) => toAlertingRule(d, ctx.runbookBaseUrl)) };
}

export function operatorRuleGroup(runbookBaseUrl: string): RuleGroup {
  const definitions = [reconcileErrorsAlert(), noLeaderAlert()];
  return { name: 'passplatform-operator', rules: definitions.map((d) => toAlertingRule(d, runbookBaseUrl)) };
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
    description: (value) =>
      `At the current spend rate the month ends at ${value} (spec.cost.currency), above spec.cost.monthlyBudget.`,
    valueFormat: 'money',
  };
}

function reconcileErrorsAlert(): AlertDefinition {
  return {
    name: 'OperatorReconcileErrors',
    expr: `sum without (instance, pod, result) (increase(${sel(METRIC.reconcileTotal, {}, 'result="error"')}[15m])) > 0`,
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

function noLeaderAlert(): AlertDefinition {
  return {
    name: 'OperatorNoLeader',
    // `or vector(0)`: no series at all (every replica down) counts as no leader too.
    expr: `(sum(${METRIC.operatorIsLeader}) or vector(0)) < 1`,
    for: '5m',
    severity: 'critical',
    team: SCALING_TEAM,
    summary: 'No PassPlatform operator replica holds the leader Lease',
    description: (value) =>
      `${value} operator replicas are leader: nothing reconciles, autoscales or records costs until one takes the Lease.`,
    valueFormat: 'number',
  };
}
