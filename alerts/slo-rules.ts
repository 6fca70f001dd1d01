/**
 * SLO alerts as the Google SRE workbook builds them: multiwindow, multi-burn-rate. A fast burn
 * (2 % of a 30-day budget in an hour, or 5 % in six) pages; a slow one (10 % in a day, or the
 * whole budget in three) opens a ticket. The short window of each pair stops the alert as soon as
 * the burn stops. `$value` is the burn rate over the long window.
 *
 * Availability: 5xx responses against the catalog's availability objective.
 * Latency: per SLA class, requests slower than the class target against the 5 % a p95 target allows.
 */
import { ALERT_THRESHOLDS, AVAILABILITY_TARGETS } from '../core/sla.js';
import { formatPercent, toAlertingRule, type AlertDefinition } from './annotations.js';
import type { RuleContext } from './context.js';
import { num } from './promql.js';
import { BURN_RATE_WINDOWS, RECORD, SLA_QUANTILE } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';

type Speed = 'Fast' | 'Slow';
const SPEEDS: { speed: Speed; severity: 'critical' | 'warning'; for: string }[] = [
  { speed: 'Fast', severity: 'critical', for: '2m' },
  { speed: 'Slow', severity: 'warning', for: '15m' },
];

export function sloRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = SPEEDS.flatMap((s) => [availabilityBurnAlert(s), latencyBurnAlert(s)]);
  return { name: 'passplatform-slo', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

/** `(long / budget > f and short / budget > f) or …` over the window pairs of one severity. */
export function burnRateExpr(record: (window: string) => string, budget: number, severity: 'critical' | 'warning'): string {
  return BURN_RATE_WINDOWS.filter((w) => w.severity === severity)
    .map((w) => {
      const over = (window: string) => `${record(window)} / ${num(budget)} > ${num(w.factor)}`;
      return `(\n  ${over(w.long)}\nand\n  ${over(w.short)}\n)`;
    })
    .join('\nor\n');
}

function availabilityBurnAlert({ speed, severity, for: holdFor }: (typeof SPEEDS)[number]): AlertDefinition {
  const objective = AVAILABILITY_TARGETS.objective;
  return {
    name: `AvailabilityErrorBudgetBurn${speed}`,
    expr: burnRateExpr(RECORD.errorRatio, 1 - objective, severity),
    for: holdFor,
    severity,
    team: ALERT_THRESHOLDS[severity].errorRatio.team,
    labels: { slo: 'availability' },
    summary: `The API burns its ${formatPercent(objective)} availability error budget ${speed === 'Fast' ? 'fast' : 'steadily'}`,
    description: (value) =>
      `In {{ $labels.namespace }}, 5xx responses consume the availability error budget at ${value} times the rate ` +
      `that would exhaust it in 30 days (objective ${formatPercent(objective)}).`,
    valueFormat: 'number',
  };
}

function latencyBurnAlert({ speed, severity, for: holdFor }: (typeof SPEEDS)[number]): AlertDefinition {
  const allowedSlow = 1 - SLA_QUANTILE;
  return {
    name: `LatencySloBudgetBurn${speed}`,
    expr: burnRateExpr(RECORD.slowRatio, allowedSlow, severity),
    for: holdFor,
    severity,
    team: ALERT_THRESHOLDS.warning.latencyP95Seconds.team,
    labels: { slo: 'latency' },
    summary: `{{ $labels.sla_class }} requests exceed their p95 target ${speed === 'Fast' ? 'fast' : 'steadily'}`,
    description: (value) =>
      `In {{ $labels.namespace }}, {{ $labels.sla_class }} requests slower than their SLA target consume the ` +
      `${formatPercent(allowedSlow)} allowance at ${value} times the rate that would exhaust it in 30 days.`,
    valueFormat: 'number',
  };
}
