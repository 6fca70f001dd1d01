/**
 * The seed's degradation alerts: latency rising against its own baseline (the auto-scale
 * trigger), throughput falling against the same time last week, and a cache hit rate too low.
 * Each stays quiet below a minimum request rate, where a percentile or a ratio is noise.
 */
import { CACHE_RESULT } from '../core/metric-labels.js';
import { METRIC } from '../core/metric-names.js';
import { ALERT_THRESHOLDS } from '../core/sla.js';
import { formatPercent, toAlertingRule, type AlertDefinition } from './annotations.js';
import { MIN_REQUESTS_PER_SECOND_FOR_DEGRADATION as MIN_RPS, SCOPE_LABELS, type RuleContext } from './context.js';
import { labelIs, labelsOf, num, rate, sel, sumBy } from './promql.js';
import { RECORD, USER_TRAFFIC } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';

const { degradation } = ALERT_THRESHOLDS;

/** Throughput is compared with the same time a week ago: a school's traffic repeats weekly, not daily. */
export const THROUGHPUT_BASELINE_OFFSET = '1w';
/** Half-hour averages on both sides, so a single slow scrape does not look like a drop. */
const THROUGHPUT_WINDOW = '30m';

export function degradationRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [latencyIncreaseAlert(ctx), throughputDropAlert(ctx), cacheHitRateAlert(ctx)];
  return { name: 'passplatform-degradation', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

function latencyIncreaseAlert(ctx: RuleContext): AlertDefinition {
  const increase = ctx.alerts.latencyIncreaseRatio;
  return {
    name: 'ApiLatencyIncrease',
    expr:
      `${RECORD.p95} > ${num(1 + increase)} * ${RECORD.p95Baseline}\n` +
      `and on (${[...SCOPE_LABELS, 'sla_class'].join(', ')})\n${RECORD.classRequestRate} > ${num(MIN_RPS)}`,
    // Longer than the autoscaler needs to add pods: the alert means scaling did not help.
    for: '15m',
    severity: 'warning',
    team: degradation.latencyIncreaseRatio.team,
    summary: `p95 latency of {{ $labels.sla_class }} requests rose more than ${formatPercent(increase)} above its daily baseline`,
    description: (value) =>
      `In {{ $labels.namespace }}, p95 latency of {{ $labels.sla_class }} requests is ${value}, more than ` +
      `${formatPercent(increase)} above its p95 over the last day, and it has stayed there although this is the autoscaler's scale-up trigger.`,
    valueFormat: 'duration',
  };
}

function throughputDropAlert(ctx: RuleContext): AlertDefinition {
  const decrease = ctx.alerts.throughputDecreaseRatio;
  // Raw rather than recorded: a recorded rate would need a week of recording before the offset reads anything.
  const requests = sel(`${METRIC.httpServerDuration}_count`, ctx.workload, USER_TRAFFIC);
  const now = sumBy(SCOPE_LABELS, rate(requests, THROUGHPUT_WINDOW));
  const lastWeek = sumBy(SCOPE_LABELS, `rate(${requests}[${THROUGHPUT_WINDOW}] offset ${THROUGHPUT_BASELINE_OFFSET})`);
  return {
    name: 'ThroughputDrop',
    expr: `${now}\n< ${num(1 - decrease)} *\n${lastWeek}\nand\n${lastWeek} > ${num(MIN_RPS)}`,
    for: '15m',
    severity: 'warning',
    team: degradation.throughputDecreaseRatio.team,
    summary: `API throughput fell more than ${formatPercent(decrease)} below the same time last week`,
    description: (value) =>
      `In {{ $labels.namespace }}, the API served ${value} requests per second over the last half hour, more than ${formatPercent(decrease)} ` +
      `fewer than at the same time last week: check whether clients fail before reaching the API.`,
    valueFormat: 'number',
  };
}

function cacheHitRateAlert(ctx: RuleContext): AlertDefinition {
  const minimum = ctx.alerts.cacheHitRatioMin;
  const byCache = [...SCOPE_LABELS, ...labelsOf('cacheRequests', 'cache')];
  const lookups = sumBy(byCache, rate(sel(METRIC.cacheRequests, ctx.workload), '15m'));
  const hits = sumBy(byCache, rate(sel(METRIC.cacheRequests, ctx.workload, labelIs('cacheRequests', 'result', CACHE_RESULT.hit)), '15m'));
  return {
    name: 'CacheHitRateLow',
    expr: `(${hits} or ${lookups} * 0)\n/\n${lookups}\n< ${num(minimum)}\nand\n${lookups} > ${num(MIN_RPS)}`,
    for: '30m',
    severity: 'warning',
    team: degradation.cacheHitRatioMin.team,
    summary: `Cache {{ $labels.cache }} hit rate is below ${formatPercent(minimum)}`,
    description: (value) =>
      `In {{ $labels.namespace }}, the {{ $labels.cache }} cache answered ${value} of lookups over 15 minutes ` +
      `(expected at least ${formatPercent(minimum)}).`,
    valueFormat: 'percent',
  };
}
