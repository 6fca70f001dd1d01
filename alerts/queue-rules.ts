/**
 * Worker queue alerts: jobs waiting too long, a backlog that keeps growing, and jobs failing after
 * their retries. Every worker pod reports the same queue's depth, so depth and age take the max.
 */
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS } from '../core/sla.js';
import { alertsPerLevel, formatPercent, formatSeconds, toAlertingRule, type AlertDefinition, type ThresholdLevel } from './annotations.js';
import { JOB_OUTCOME } from '../core/metric-labels.js';
import { MIN_FINISHED_JOBS_FOR_FAILURE_RATIO, SCOPE_LABELS, type RuleContext } from './context.js';
import { labelIn, labelIs, labelsOf, maxBy, num, rate, sel, sumBy } from './promql.js';
import type { RuleGroup } from './rule-types.js';

/** Queues drain by scaling workers, which the autoscaler (and so the team owning it) does. */
export const SCALING_TEAM = ALERT_THRESHOLDS.degradation.latencyIncreaseRatio.team;

const BY_QUEUE = [...SCOPE_LABELS, ...labelsOf('queueJobs', 'queue')];

export function queueRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [...waitingAgeAlerts(ctx), backlogAlert(ctx), ...failureAlerts(ctx)];
  return { name: 'passplatform-queues', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

function waitingAgeAlerts(ctx: RuleContext): AlertDefinition[] {
  const age = maxBy(BY_QUEUE, sel(METRIC.queueOldestWaitingAge, ctx.workload));
  const levels: ThresholdLevel[] = [
    {
      name: 'QueueJobsWaitingTooLong',
      severity: 'warning',
      threshold: ctx.queues.oldestWaitingWarningSeconds,
      team: SCALING_TEAM,
      for: '5m',
    },
    { name: 'QueueJobsStalled', severity: 'critical', threshold: ctx.queues.oldestWaitingCriticalSeconds, team: SCALING_TEAM, for: '5m' },
  ];
  return alertsPerLevel(levels, (level) => ({
    expr: `${age} > ${num(level.threshold)}`,
    summary: `The oldest {{ $labels.queue }} job has waited over ${formatSeconds(level.threshold)}`,
    description: (value) =>
      `In {{ $labels.namespace }}, the oldest waiting job of the {{ $labels.queue }} queue has waited ${value} ` +
      `(${level.severity} above ${formatSeconds(level.threshold)}).`,
    valueFormat: 'duration',
  }));
}

function backlogAlert(ctx: RuleContext): AlertDefinition {
  const waiting = sel(METRIC.queueJobs, ctx.workload, labelIs('queueJobs', 'state', 'waiting'));
  return {
    name: 'QueueBacklogGrowing',
    expr: `${maxBy(BY_QUEUE, waiting)} > ${num(ctx.queues.backlogJobs)}\nand\n${maxBy(BY_QUEUE, `deriv(${waiting}[30m])`)} > 0`,
    for: '15m',
    severity: 'warning',
    team: SCALING_TEAM,
    summary: `The {{ $labels.queue }} backlog is above ${num(ctx.queues.backlogJobs)} jobs and still growing`,
    description: (value) =>
      `In {{ $labels.namespace }}, ${value} jobs wait in the {{ $labels.queue }} queue and the backlog has grown ` +
      `over the last 30 minutes: workers do not keep up.`,
    valueFormat: 'number',
  };
}

/** A job that fails after its retries is a failed request someone waits for: the HTTP error thresholds apply. */
function failureAlerts(ctx: RuleContext): AlertDefinition[] {
  const failed = sumBy(
    BY_QUEUE,
    rate(sel(METRIC.jobsProcessed, ctx.workload, labelIs('jobsProcessed', 'outcome', JOB_OUTCOME.failed)), '15m'),
  );
  const lastAttempts = labelIn('jobsProcessed', 'outcome', [JOB_OUTCOME.completed, JOB_OUTCOME.failed]);
  const finished = sumBy(BY_QUEUE, rate(sel(METRIC.jobsProcessed, ctx.workload, lastAttempts), '15m'));
  const minimumRate = MIN_FINISHED_JOBS_FOR_FAILURE_RATIO / (15 * 60);
  const levels: ThresholdLevel[] = [
    {
      name: 'JobFailureRateCritical',
      severity: 'critical',
      threshold: ctx.alerts.criticalErrorRatio,
      team: ALERT_THRESHOLDS.critical.errorRatio.team,
      for: '5m',
    },
    {
      name: 'JobFailureRateWarning',
      severity: 'warning',
      threshold: ctx.alerts.warningErrorRatio,
      team: ALERT_THRESHOLDS.warning.errorRatio.team,
      for: '15m',
    },
  ];
  return alertsPerLevel(levels, (level) => ({
    expr: `${failed}\n/\n${finished}\n> ${num(level.threshold)}\nand\n${finished} > ${num(minimumRate)}`,
    summary: `More than ${formatPercent(level.threshold)} of {{ $labels.queue }} jobs fail after their retries`,
    description: (value) =>
      `In {{ $labels.namespace }}, ${value} of {{ $labels.queue }} jobs finished over 15 minutes failed after all retries ` +
      `(${level.severity} above ${formatPercent(level.threshold)}).`,
    valueFormat: 'percent',
  }));
}
