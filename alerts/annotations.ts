/**
 * Alert annotations: a one-line summary, a description carrying the live value, and the runbook
 * link. Values are formatted with Prometheus' own template functions so a page reads "9.75s" or
 * "12.5%", never a raw float.
 */
import type { Severity } from '../core/sla.js';
import { DEFAULT_RUNBOOK_BASE_URL } from '../platform-api/v1alpha1/index.js';
import { durationSeconds } from './duration.js';
import type { AlertingRule } from './rule-types.js';

export type ValueFormat = 'percent' | 'duration' | 'number' | 'money';

/** The Go template that renders `$value` in each format. */
export const VALUE_TEMPLATES: Record<ValueFormat, string> = {
  percent: '{{ $value | humanizePercentage }}',
  duration: '{{ $value | humanizeDuration }}',
  number: '{{ $value | humanize }}',
  money: '{{ printf "%.2f" $value }}',
};

export interface AlertDefinition {
  name: string;
  expr: string;
  /** How long the condition must hold before the alert fires (Prometheus duration). */
  for: string;
  severity: Severity;
  team: string;
  /** Extra static labels (e.g. `slo`). */
  labels?: Record<string, string>;
  summary: string;
  /** Builds the description around the rendered value template. */
  description: (value: string) => string;
  valueFormat: ValueFormat;
}

/** One severity level of an alert that exists at several thresholds. */
export interface ThresholdLevel {
  name: string;
  severity: Severity;
  threshold: number;
  team: string;
  for: string;
}

/** The alert definitions of each level, sharing everything but what `build` reads from the level. */
export function alertsPerLevel(
  levels: readonly ThresholdLevel[],
  build: (level: ThresholdLevel) => Pick<AlertDefinition, 'expr' | 'summary' | 'description' | 'valueFormat'>,
): AlertDefinition[] {
  return levels.map((level) => ({ name: level.name, severity: level.severity, team: level.team, for: level.for, ...build(level) }));
}

/** How alert definitions become rules: where runbooks live, and (tests only) a cap on `for:`. */
export interface AlertRendering {
  runbookBaseUrl: string;
  maxFor?: string;
}

export function alertRendering(options: { runbookBaseUrl?: string; maxFor?: string }): AlertRendering {
  return { runbookBaseUrl: options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL, ...(options.maxFor ? { maxFor: options.maxFor } : {}) };
}

/** The rule Prometheus evaluates for one alert definition. */
export function toAlertingRule(def: AlertDefinition, { runbookBaseUrl, maxFor }: AlertRendering): AlertingRule {
  const holdFor = maxFor && durationSeconds(def.for) > durationSeconds(maxFor) ? maxFor : def.for;
  return {
    alert: def.name,
    expr: def.expr,
    for: holdFor,
    labels: { severity: def.severity, team: def.team, ...def.labels },
    annotations: {
      summary: def.summary,
      description: def.description(VALUE_TEMPLATES[def.valueFormat]),
      runbook_url: `${runbookBaseUrl.replace(/\/$/, '')}/${def.name}.md`,
    },
  };
}

/** A threshold written for people: `0.2` seconds reads `200ms`, `5` reads `5s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(6))}ms`;
  if (seconds < 120) return `${Number(seconds.toPrecision(6))}s`;
  return `${Number((seconds / 60).toPrecision(6))}m`;
}

/** A ratio written for people: `0.05` reads `5%`. */
export function formatPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}
