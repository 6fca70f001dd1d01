/**
 * Recording rules: request and error rates, the share of requests slower than their SLA class
 * target, and p95 per class, over every window the SLO alerts and dashboards read. Alerts and
 * panels query these names rather than repeating the raw expressions.
 */
export { durationSeconds } from './duration.js';
import { METRIC } from '../core/metric-names.js';
import { LATENCY_BUCKETS_SECONDS, SLA_CLASS_NAMES, UNCLASSIFIED, type SlaClass } from '../core/sla.js';
import { SCOPE_LABELS, type RuleContext } from './context.js';
import { durationSeconds } from './duration.js';
import { bucketBoundaryFor, leMatcher, rate, sel, sumBy } from './promql.js';
import type { RecordingRule, RuleGroup } from './rule-types.js';

/** The percentile every SLA class target is written for. */
export const SLA_QUANTILE = 0.95;

/** Windows of the Google SRE workbook's multiwindow, multi-burn-rate alerts (long window, short window, burn factor). */
export const BURN_RATE_WINDOWS = [
  { long: '1h', short: '5m', factor: 14.4, severity: 'critical' },
  { long: '6h', short: '30m', factor: 6, severity: 'critical' },
  { long: '1d', short: '2h', factor: 3, severity: 'warning' },
  { long: '3d', short: '6h', factor: 1, severity: 'warning' },
] as const;

export type BurnWindow = (typeof BURN_RATE_WINDOWS)[number]['long' | 'short'];

const SLO_WINDOWS: BurnWindow[] = [...new Set(BURN_RATE_WINDOWS.flatMap((w) => [w.short, w.long]))].sort(
  (a, b) => durationSeconds(a) - durationSeconds(b),
);

/** Names of the recorded series. */
export const RECORD = {
  requestRate: (window: string) => `passplatform:http_requests:rate${window}`,
  errorRatio: (window: string) => `passplatform:http_error_ratio:rate${window}`,
  /** 5xx per second, so availability over a long range can be weighted by traffic. */
  errorRate: (window: string) => `passplatform:http_errors:rate${window}`,
  slowRatio: (window: string) => `passplatform:http_slow_request_ratio:rate${window}`,
  classRequestRate: 'passplatform:http_requests_by_class:rate5m',
  p95: 'passplatform:http_request_duration_seconds:p95_rate5m',
  p95Baseline: 'passplatform:http_request_duration_seconds:p95_rate1d',
} as const;

/** Requests that count against SLAs: everything but health, metrics and docs. */
export const USER_TRAFFIC = `sla_class!="${UNCLASSIFIED}"`;
export const SERVER_ERROR = 'http_response_status_code=~"5.."';

const COUNT = `${METRIC.httpServerDuration}_count`;
const BUCKET = `${METRIC.httpServerDuration}_bucket`;

export function recordingRuleGroup(ctx: RuleContext): RuleGroup {
  const rules: RecordingRule[] = [];
  for (const window of SLO_WINDOWS) {
    rules.push({ record: RECORD.requestRate(window), expr: requestRate(ctx, window) });
    rules.push({ record: RECORD.errorRatio(window), expr: errorRatio(ctx, window) });
  }
  rules.push({ record: RECORD.errorRate('5m'), expr: errorRate(ctx, '5m') });
  for (const slaClass of SLA_CLASS_NAMES) {
    for (const window of SLO_WINDOWS) {
      // The static label keeps each class's rule distinct (one rule per class records the same name).
      rules.push({ record: RECORD.slowRatio(window), expr: slowRatio(ctx, slaClass, window), labels: { sla_class: slaClass } });
    }
  }
  const byClass = [...SCOPE_LABELS, 'sla_class'];
  rules.push({ record: RECORD.classRequestRate, expr: sumBy(byClass, rate(sel(COUNT, ctx.workload, USER_TRAFFIC), '5m')) });
  rules.push({ record: RECORD.p95, expr: classQuantile(ctx, '5m') });
  rules.push({ record: RECORD.p95Baseline, expr: classQuantile(ctx, '1d') });
  return { name: 'passplatform-recording', rules };
}

function requestRate(ctx: RuleContext, window: string): string {
  return sumBy(SCOPE_LABELS, rate(sel(COUNT, ctx.workload, USER_TRAFFIC), window));
}

/** 5xx user requests per second; 0 (not absent) while there is traffic and no error yet. */
function errorRate(ctx: RuleContext, window: string): string {
  const errors = sumBy(SCOPE_LABELS, rate(sel(COUNT, ctx.workload, USER_TRAFFIC, SERVER_ERROR), window));
  return `${errors} or ${requestRate(ctx, window)} * 0`;
}

/**
 * Share of user requests answered 5xx; 0 while there is traffic and no error yet, and absent (never
 * NaN) in a window without requests, so a quiet night cannot poison an average over it.
 */
function errorRatio(ctx: RuleContext, window: string): string {
  return `(${errorRate(ctx, window)})\n/\n(${requestRate(ctx, window)} > 0)`;
}

/** Share of a class's requests slower than its target, read from the bucket at the target; absent without requests. */
function slowRatio(ctx: RuleContext, slaClass: SlaClass, window: string): string {
  const target = bucketBoundaryFor(ctx.sla[slaClass], LATENCY_BUCKETS_SECONDS);
  const byClass = [...SCOPE_LABELS, 'sla_class'];
  const classMatch = { ...ctx.workload, sla_class: slaClass };
  const fast = sumBy(byClass, rate(sel(BUCKET, classMatch, leMatcher(target)), window));
  const all = sumBy(byClass, rate(sel(COUNT, classMatch), window));
  return `1 - (\n  ${fast}\n/\n  (${all} > 0)\n)`;
}

/** p95 per class; absent (not NaN) for a class without requests in the window. */
function classQuantile(ctx: RuleContext, window: string): string {
  const byClass = [...SCOPE_LABELS, 'sla_class'];
  const buckets = sumBy([...byClass, 'le'], rate(sel(BUCKET, ctx.workload, USER_TRAFFIC), window));
  const requests = sumBy(byClass, rate(sel(COUNT, ctx.workload, USER_TRAFFIC), window));
  return `histogram_quantile(${SLA_QUANTILE}, ${buckets})\nand on (${byClass.join(', ')})\n${requests} > 0`;
}
