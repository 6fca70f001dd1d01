/**
 * What the live alert tests require of an alert: that a real Prometheus shows it pending or
 * firing (its /api/v1/alerts), and that every annotation rendered fully: each `{{ $labels.x }}`
 * it reads is a non-empty label of the alert, and nothing is left unrendered (no `{{`, no
 * `<no value>`, no NaN, no gap where a value was). Shared by alerts-fire.test.ts and
 * baseline-alerts-fire.test.ts.
 */
import assert from 'node:assert/strict';
import type { AlertingRule } from './rule-types.js';

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

/** The first active alert named `name` whose labels include `labels`, if Prometheus shows one. */
export async function activeAlert(
  prometheusUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<ActiveAlert | undefined> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: ActiveAlert[] } };
  return body.data.alerts.find((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
}

export function assertRenderedFully(rule: AlertingRule, alert: ActiveAlert): void {
  for (const [key, template] of Object.entries(rule.annotations)) {
    for (const [, label] of template.matchAll(/\{\{ \$labels\.(\w+) \}\}/g)) {
      assert.ok(alert.labels[label as string], `${rule.alert} ${key} reads $labels.${label}, empty on ${JSON.stringify(alert.labels)}`);
    }
    const rendered = alert.annotations[key] ?? '';
    assert.ok(rendered && !/\{\{|<no value>|NaN| {2}/.test(rendered), `${rule.alert} ${key} rendered as "${rendered}"`);
  }
}
