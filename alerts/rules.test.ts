import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ALERT_THRESHOLDS, LATENCY_BUCKETS_SECONDS, SLA_CLASS_NAMES } from '../core/sla.js';
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { bucketBoundaryFor, leMatcher, metricNamesIn, num } from './promql.js';
import { buildOperatorRuleGroups, buildRuleGroups } from './rules.js';
import { isAlertingRule, type AlertingRule, type RuleGroup } from './rule-types.js';
import { humanize, humanizeDuration, humanizePercentage } from './template-render.js';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const alertsOf = (groups: RuleGroup[]) => groups.flatMap((g) => g.rules.filter(isAlertingRule));
const alert = (groups: RuleGroup[], name: string): AlertingRule => {
  const found = alertsOf(groups).find((a) => a.alert === name);
  assert.ok(found, `no alert ${name}`);
  return found;
};
const defaults = [...buildRuleGroups(DEFAULT_ALERTS, DEFAULT_SLA), ...buildOperatorRuleGroups()];
const TEAMS = new Set(Object.values(ALERT_THRESHOLDS).flatMap((level) => Object.values(level).map((t) => t.team)));

describe('alert rules', () => {
  it('name every alert once and give each a severity, a team, a for, a summary, a live value and a runbook', () => {
    const alerts = alertsOf(defaults);
    assert.equal(new Set(alerts.map((a) => a.alert)).size, alerts.length);
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels.severity ?? ''), a.alert);
      assert.ok(TEAMS.has(a.labels.team ?? ''), `${a.alert} goes to unknown team ${a.labels.team}`);
      assert.match(a.for ?? '', /^\d+[smh]$/, a.alert);
      assert.ok(a.annotations.summary, a.alert);
      assert.match(a.annotations.description ?? '', /\{\{ (\$value \| \w+|printf "%\.2f" \$value) \}\}/, a.alert);
      assert.equal(a.annotations.runbook_url?.split('/').at(-1), `${a.alert}.md`);
    }
  });

  it('have a runbook for every alert that says how to confirm, what to do, what the autoscaler does, where to look and whom to call', () => {
    for (const a of alertsOf(defaults)) {
      const path = join(root, 'alerts', 'runbooks', `${a.alert}.md`);
      assert.ok(existsSync(path), `missing runbook ${path}`);
      const text = readFileSync(path, 'utf8');
      for (const heading of ['## Meaning', '## Confirm', '## Act', '## Autoscaler'])
        assert.ok(text.includes(heading), `${a.alert} runbook lacks ${heading}`);
      assert.match(text, /```promql\n/, `${a.alert} runbook has no query`);
      // What an on-call engineer needs at 3 a.m.: commands to run, the dashboard, whom to call.
      assert.match(text, /```sh\n[^`]*kubectl /, `${a.alert} runbook has no kubectl command`);
      assert.match(text, /\/d\/passplatform-[a-z]+/, `${a.alert} runbook links no dashboard`);
      assert.match(text, /## Dashboard and escalation\n[\s\S]*escalate/i, `${a.alert} runbook has no escalation path`);
    }
  });

  it("route the seed's alerts to the seed's teams", () => {
    assert.equal(alert(defaults, 'ApiLatencyP95Critical').labels.team, ALERT_THRESHOLDS.critical.latencyP95Seconds.team);
    assert.equal(alert(defaults, 'DatabaseConnectionsCritical').labels.team, ALERT_THRESHOLDS.critical.dbConnectionsRatio.team);
    assert.equal(alert(defaults, 'DiskSpaceLow').labels.team, ALERT_THRESHOLDS.critical.diskFreeRatio.team);
    assert.equal(alert(defaults, 'CpuUsageHigh').labels.team, ALERT_THRESHOLDS.warning.cpuRatio.team);
    assert.equal(alert(defaults, 'CacheHitRateLow').labels.team, ALERT_THRESHOLDS.degradation.cacheHitRatioMin.team);
  });

  it("take thresholds and scope from the platform's spec", () => {
    const groups = buildRuleGroups(
      { ...DEFAULT_ALERTS, criticalLatencyP95Seconds: 3, warningCpuRatio: 0.75, cacheHitRatioMin: 0.9 },
      DEFAULT_SLA,
      { workloadMatchers: { namespace: 'campus' }, platformMatchers: { platform: 'main' }, autoscalingIntervalSeconds: 60 },
    );
    assert.match(alert(groups, 'ApiLatencyP95Critical').expr, / > 3\n/);
    assert.match(alert(groups, 'CpuUsageHigh').expr, /> 0\.75$/);
    assert.match(alert(groups, 'CacheHitRateLow').expr, /< 0\.9\n/);
    assert.match(alert(groups, 'AutoscalerStuck').expr, /> 600$/);
    assert.match(alert(groups, 'AutoscalerStuck').expr, /platform="main"/);
    // Every raw selector of a workload metric carries the platform's namespace.
    const raw = groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
    for (const selector of raw.matchAll(/\b((?:http_server|passplatform_(?!operator|cost)|process_)\w*)(\{[^}]*\})?/g)) {
      assert.match(selector[2] ?? '', /namespace="campus"/, `unscoped selector ${selector[0]}`);
    }
  });

  it('leave out the stuck-autoscaler alert when the platform does not autoscale', () => {
    const names = alertsOf(buildRuleGroups(DEFAULT_ALERTS, DEFAULT_SLA, { autoscalingEnabled: false })).map((a) => a.alert);
    assert.ok(!names.includes('AutoscalerStuck'));
    assert.ok(names.includes('CostBudgetProjectionExceeded'));
  });

  it('read each class’s slow share from the bucket at its target, or the one below a target between buckets', () => {
    const slowRules = (sla: typeof DEFAULT_SLA) =>
      buildRuleGroups(DEFAULT_ALERTS, sla)
        .flatMap((g) => g.rules)
        .filter((r) => 'record' in r && r.record === 'passplatform:http_slow_request_ratio:rate5m');
    for (const slaClass of SLA_CLASS_NAMES) {
      const rule = slowRules(DEFAULT_SLA).find((r) => r.labels?.sla_class === slaClass);
      assert.ok(rule?.expr.includes(leMatcher(DEFAULT_SLA[slaClass])), slaClass);
    }
    const custom = slowRules({ ...DEFAULT_SLA, auth: 0.15 }).find((r) => r.labels?.sla_class === 'auth');
    assert.ok(custom?.expr.includes('le="0.1"'));
  });
});

describe('promql helpers', () => {
  it('write numbers without binary noise', () => {
    assert.equal(num(14.4 * (1 - 0.9995)), '0.0072');
    assert.equal(num(1 + 0.5), '1.5');
  });

  it('match an integral bucket bound as Prometheus 2 and 3 store it', () => {
    assert.equal(leMatcher(5), 'le=~"5(\\\\.0)?"');
    assert.equal(leMatcher(0.2), 'le="0.2"');
  });

  it('find the bucket boundary for a target', () => {
    assert.equal(bucketBoundaryFor(0.2, LATENCY_BUCKETS_SECONDS), 0.2);
    assert.equal(bucketBoundaryFor(0.15, LATENCY_BUCKETS_SECONDS), 0.1);
  });

  it('list the metrics an expression reads, not its labels, functions or keywords', () => {
    assert.deepEqual(
      metricNamesIn(
        'sum by (namespace, le) (rate(a_bucket{le="0.2",x=~"y|z"}[5m] offset 1w)) / on (namespace) b:rec:rate5m > 1e-3 and time() - c_seconds or vector(0)',
      ),
      ['a_bucket', 'b:rec:rate5m', 'c_seconds'],
    );
  });
});

describe('annotation rendering used by the promtool tests', () => {
  it('formats values as Prometheus does', () => {
    assert.equal(humanizeDuration(600), '10m 0s');
    assert.equal(humanizeDuration(9.75), '9.75s');
    assert.equal(humanizeDuration(0.975), '975ms');
    assert.equal(humanize(3000), '3k');
    assert.equal(humanize(200.00000000000003), '200');
    assert.equal(humanizePercentage(0.0725), '7.25%');
    assert.equal(humanizePercentage(0.1), '10%');
  });
});
