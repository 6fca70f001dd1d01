/**
 * Small PromQL building blocks shared by the alert rules and the dashboards, so every selector,
 * number and bucket matcher is written the same way everywhere.
 */
import type { LabelOf, MetricKey } from '../core/metric-labels.js';

/** Equality label matchers; values are written verbatim (no regex). */
export type Matchers = Readonly<Record<string, string>>;

/** A label matcher as PromQL writes it, e.g. `state="waiting"` or `http_response_status_code=~"5.."`. */
export type MatcherText = string;

/**
 * A number as PromQL reads it, without binary noise: `14.4 * (1 - 0.9995)` is written `0.0072`,
 * not `0.007199999999999207`.
 */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(Number(value.toPrecision(12)));
}

/** `metric{a="b",c=~"d"}` from a metric name, equality matchers and extra matcher texts. */
export function sel(metric: string, matchers: Matchers = {}, ...extra: MatcherText[]): string {
  const parts = [...Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`), ...extra];
  return parts.length ? `${metric}{${parts.join(',')}}` : metric;
}

/**
 * `label="value"` on a label the metric is declared with in core/metric-labels.ts, so a rule or
 * panel reading a label its exporter does not write fails to compile.
 */
export function labelIs<M extends MetricKey>(_metric: M, label: LabelOf<M>, value: string): MatcherText {
  return `${label}=${JSON.stringify(value)}`;
}

/** `label=~"a|b"` on a declared label of the metric (values are literal, regex-escaped). */
export function labelIn<M extends MetricKey>(_metric: M, label: LabelOf<M>, values: readonly string[]): MatcherText {
  return `${label}=~${JSON.stringify(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))}`;
}

/** Declared labels of a metric, for `by (…)` groupings: a typo or a label it lacks fails to compile. */
export function labelsOf<M extends MetricKey>(_metric: M, ...labels: LabelOf<M>[]): string[] {
  return labels;
}

/** `sum by (a, b) (expr)`. */
export function sumBy(labels: readonly string[], expr: string): string {
  return `sum by (${labels.join(', ')}) (${expr})`;
}

/** `max by (a, b) (expr)`. */
export function maxBy(labels: readonly string[], expr: string): string {
  return `max by (${labels.join(', ')}) (${expr})`;
}

/** `sum without (a) (expr)`: keeps whatever identifying labels the scrape added. */
export function sumWithout(labels: readonly string[], expr: string): string {
  return `sum without (${labels.join(', ')}) (${expr})`;
}

/** `rate(selector[window])`. */
export function rate(selector: string, window: string): string {
  return `rate(${selector}[${window}])`;
}

/**
 * Matcher for the histogram bucket whose upper bound is `seconds`. Prometheus 2 stores `le` as
 * the client wrote it (prom-client writes `5`), Prometheus 3 normalises integral bounds to `5.0`;
 * the regex accepts both so a rule keeps working across the upgrade.
 */
export function leMatcher(seconds: number): MatcherText {
  const text = num(seconds);
  return Number.isInteger(seconds) ? `le=~"${text}(\\\\.0)?"` : `le="${text}"`;
}

/**
 * The histogram bucket boundary that stands for `target`: the target itself when it is a bucket
 * boundary (the SLA catalog makes every default target one), else the largest boundary below it,
 * which counts a few in-target requests as slow rather than hiding slow ones.
 */
export function bucketBoundaryFor(target: number, buckets: readonly number[]): number {
  const below = buckets.filter((b) => b <= target + 1e-12);
  const boundary = below.length ? below[below.length - 1] : buckets[0];
  if (boundary === undefined) throw new Error('no histogram buckets');
  return boundary;
}

/** Every metric name an expression reads (recording-rule names included), in order of appearance. */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutGroupings = withoutStrings.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const withoutRanges = withoutGroupings.replace(/\[[^\]]*\]/g, '').replace(/\{[^}]*\}/g, '');
  const names: string[] = [];
  for (const match of withoutRanges.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])\s*(\()?/g)) {
    const [, name, call] = match;
    if (!name || call || PROMQL_KEYWORDS.has(name)) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);
