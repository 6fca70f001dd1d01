/**
 * spec.monitoring reaches the platform's PrometheusRule: its labels (so a kube-prometheus
 * `ruleSelector` picks it up) and the runbook links of every alert; the install's defaults (chart
 * values monitoring.* → the operator's DEFAULT_RUNBOOK_BASE_URL / DEFAULT_RULE_LABELS) fill what
 * a platform leaves out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { platformFixture } from '../fixtures.js';
import type { PlatformKeys } from './keys.js';
import { DEFAULT_INSTALL_VALUES, installObjects } from '../../cdk8s/operator-install.js';
import { loadOperatorConfig, parseRuleLabels } from '../../core/operator-config.js';
import { DEFAULT_RUNBOOK_BASE_URL, type MonitoringSpec } from '../../platform-api/v1alpha1/index.js';
import { reconcile } from './reconcile.js';

const fixedKeys = (): PlatformKeys => ({
  JWT_SECRET: 'and0',
  PASS_SIGNING_PRIVATE_KEY: 'cHJpdg==',
  PASS_SIGNING_PUBLIC_KEY: 'cHVi',
  REDIS_PASSWORD: 'cmVkaXM=',
  METRICS_TOKEN: 'bWV0cmljcw==',
});

type RuleObject = KubernetesObject & { spec: { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] } };

function prometheusRule(spec: Record<string, unknown>, monitoringDefaults?: MonitoringSpec): RuleObject {
  const result = reconcile({
    platform: platformFixture(spec),
    monitoringDefaults,
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

  const runbookUrls = (rule: RuleObject) =>
    rule.spec.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.annotations?.runbook_url] : [])));

  it("takes the install's defaults where the platform sets nothing, its own where it does", () => {
    const defaults = { runbookBaseUrl: 'https://wiki.campus.edu/oncall', ruleLabels: { release: 'kps', team: 'ops' } };
    const inherited = prometheusRule({}, defaults);
    assert.equal(inherited.metadata?.labels?.release, 'kps');
    assert.ok(runbookUrls(inherited).every((url) => url?.startsWith('https://wiki.campus.edu/oncall/')));

    const own = prometheusRule(
      { monitoring: { runbookBaseUrl: 'https://runbooks.example.edu', ruleLabels: { team: 'campus' } } },
      defaults,
    );
    assert.equal(own.metadata?.labels?.team, 'campus');
    assert.equal(own.metadata?.labels?.release, 'kps');
    assert.ok(runbookUrls(own).every((url) => url?.startsWith('https://runbooks.example.edu/')));

    // Neither the install nor the platform says: the project's runbooks.
    assert.ok(runbookUrls(prometheusRule({})).every((url) => url?.startsWith(`${DEFAULT_RUNBOOK_BASE_URL}/`)));
  });

  it('reads the defaults from the environment the install sets, and refuses labels Kubernetes would', () => {
    const deployment = installObjects({
      ...DEFAULT_INSTALL_VALUES,
      monitoring: { runbookBaseUrl: 'https://wiki.campus.edu/oncall', ruleLabels: 'release=kps, team=ops' },
    }).find((o) => o.kind === 'Deployment') as {
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    };
    const env = Object.fromEntries(
      (deployment.spec.template.spec.containers[0]?.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
    const config = loadOperatorConfig(env);
    assert.equal(config.DEFAULT_RUNBOOK_BASE_URL, 'https://wiki.campus.edu/oncall');
    assert.deepEqual(config.DEFAULT_RULE_LABELS, { release: 'kps', team: 'ops' });

    assert.deepEqual(loadOperatorConfig({}).DEFAULT_RULE_LABELS, {});
    assert.throws(() => parseRuleLabels('release'), /not a label/);
    assert.throws(() => parseRuleLabels('team=a b'), /not a label/);
    assert.throws(() => loadOperatorConfig({ DEFAULT_RULE_LABELS: 'release=kps,=x' }), /DEFAULT_RULE_LABELS/);
    assert.throws(() => loadOperatorConfig({ DEFAULT_RUNBOOK_BASE_URL: 'wiki.campus.edu' }), /http/);
  });
});
