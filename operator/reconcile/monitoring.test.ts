/**
 * spec.monitoring reaches the platform's PrometheusRule: its labels (so a kube-prometheus
 * `ruleSelector` picks it up) and the runbook links of every alert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { platformFixture } from '../fixtures.js';
import type { PlatformKeys } from './keys.js';
import { reconcile } from './reconcile.js';

const fixedKeys = (): PlatformKeys => ({
  JWT_SECRET: 'and0',
  PASS_SIGNING_PRIVATE_KEY: 'cHJpdg==',
  PASS_SIGNING_PUBLIC_KEY: 'cHVi',
  REDIS_PASSWORD: 'cmVkaXM=',
  METRICS_TOKEN: 'bWV0cmljcw==',
});

type RuleObject = KubernetesObject & { spec: { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] } };

function prometheusRule(spec: Record<string, unknown>): RuleObject {
  const result = reconcile({
    platform: platformFixture(spec),
    observed: { children: [] },
    now: new Date('2026-11-02T10:00:00Z'),
    generateKeys: fixedKeys,
  });
  const rule = result.children?.find((c) => c.kind === 'PrometheusRule');
  assert.ok(rule, 'no PrometheusRule child');
  return rule as RuleObject;
}

describe('spec.monitoring', () => {
  it('labels the PrometheusRule for a ruleSelector and links runbooks under the given base', () => {
    const rule = prometheusRule({
      monitoring: { runbookBaseUrl: 'https://runbooks.example.edu/pass/', ruleLabels: { release: 'kube-prometheus-stack' } },
    });
    assert.equal(rule.metadata?.labels?.release, 'kube-prometheus-stack');
    const alerts = rule.spec.groups.flatMap((g) => g.rules.filter((r) => r.alert));
    assert.ok(alerts.length > 20);
    for (const a of alerts) assert.equal(a.annotations?.runbook_url, `https://runbooks.example.edu/pass/${a.alert}.md`);
  });

  it("never lets a rule label replace the operator's own labels", () => {
    const rule = prometheusRule({ monitoring: { ruleLabels: { 'app.kubernetes.io/managed-by': 'someone-else', team: 'campus' } } });
    assert.notEqual(rule.metadata?.labels?.['app.kubernetes.io/managed-by'], 'someone-else');
    assert.equal(rule.metadata?.labels?.team, 'campus');
  });
});
