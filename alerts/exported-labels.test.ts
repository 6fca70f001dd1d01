/**
 * Every series an alert rule, a recording rule, a dashboard panel, a runbook or a promtool test reads is
 * checked against what a real Prometheus scraped from the platform's real processes — the API,
 * the workers and the operator, each started as its own process as a pod starts it — with the
 * generated rules loaded: the metric exists, every label a matcher selects on exists on it, and
 * every label a `by (…)` or `on (…)` groups by reaches the grouping. Metric names alone are not
 * enough: `result` where the workers write `outcome` would pass a name check and never fire.
 *
 * CloudNativePG's series come from its default-monitoring queries run on the test's real Postgres
 * (testing/cnpg-exporter.ts: its instance manager cannot run here). The kubelet's volume series
 * are checked against their declared labels in core/metric-labels.ts instead, and listed as such.
 *
 * The same scrapes are the source of the promtool tests' input series: `npm run capture-series`
 * (CAPTURE_SERIES=1) writes their label sets to alerts/scenarios/captured-series.json, and without
 * it this test fails when the checked-in capture no longer matches what the processes export.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { METRIC_LABELS, TARGET_LABELS } from '../core/metric-labels.js';
import { METRIC } from '../core/metric-names.js';
import { buildDashboards } from '../grafana/dashboards.js';
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { freePort } from '../core/ports.js';
import { sampleImage } from '../testing/worker-process.js';
import { spawnApi, spawnOperator, spawnWorkers, stopProcess } from '../testing/platform-processes.js';
import { startPrometheus, type TestPrometheus } from '../testing/prometheus.js';
import { startCnpgExporter } from '../testing/cnpg-exporter.js';
import { CAPTURED_SERIES_FILE, capturedSeries, type CapturedSeries, type LabelSet } from './scenarios/captured.js';
import { parsePromql, type VectorSelector } from './promql-selectors.js';
import { buildOperatorRuleGroups, buildRuleGroups } from './rules.js';
import { isAlertingRule, type RuleGroup } from './rule-types.js';

const NAMESPACE = 'labels-e2e';
const PLATFORM = 'campus';

/** Metrics of exporters the platform relies on but that cannot run in this test, by metric name. */
const EXTERNAL: ReadonlyMap<string, readonly string[]> = new Map(
  (['kubeletVolumeAvailable', 'kubeletVolumeCapacity'] as const).map((key) => [METRIC[key], METRIC_LABELS[key]]),
);

interface Reader {
  expr: string;
  by: string;
}

function ruleGroups(): RuleGroup[] {
  return [
    ...buildRuleGroups(DEFAULT_ALERTS, DEFAULT_SLA, {
      workloadMatchers: { namespace: NAMESPACE },
      platformMatchers: { platform: PLATFORM, platform_namespace: NAMESPACE },
    }),
    ...buildOperatorRuleGroups(),
  ];
}

/** Every expression read, with who reads it; dashboard variables resolved as Grafana would. */
function readers(groups: RuleGroup[]): Reader[] {
  const out: Reader[] = [];
  for (const group of groups)
    for (const rule of group.rules)
      out.push({ expr: rule.expr, by: isAlertingRule(rule) ? `alert ${rule.alert}` : `record ${rule.record}` });
  return [...out, ...panelQueries(), ...runbookQueries()];
}

/** Every dashboard panel's query, `$namespace` and `$__rate_interval` substituted as Grafana would. */
function panelQueries(): Reader[] {
  const out: Reader[] = [];
  for (const dashboard of buildDashboards(DEFAULT_SLA, DEFAULT_ALERTS).values()) {
    for (const panel of dashboard.panels as { title: string; targets?: { expr: string }[] }[]) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll('$namespace', NAMESPACE).replaceAll('$__rate_interval', '1m');
        out.push({ expr, by: `${dashboard.title} / ${panel.title}` });
      }
    }
  }
  return out;
}

/** The PromQL blocks of every runbook, placeholders filled as an on-call engineer would. */
function runbookQueries(): Reader[] {
  const dir = 'alerts/runbooks';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .flatMap((f) =>
      [...readFileSync(`${dir}/${f}`, 'utf8').matchAll(/```promql\n([\s\S]*?)```/g)].flatMap((m) =>
        (m[1] ?? '')
          .trim()
          .split('\n')
          .map((line) => ({
            expr: line
              .replaceAll('<ns>', NAMESPACE)
              .replaceAll('<name>', PLATFORM)
              .replaceAll('<class>', 'auth')
              .replaceAll('<queue>', 'uploads'),
            by: `runbook ${f}`,
          })),
      ),
    );
}

/** promtool unit-test input series, as selectors. */
function promtoolInputSeries(): VectorSelector[] {
  const dir = 'alerts/tests';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.yml'))
    .flatMap((f) => (load(readFileSync(`${dir}/${f}`, 'utf8')) as { tests: { input_series: { series: string }[] }[] }).tests)
    .flatMap((t) => t.input_series ?? [])
    .flatMap((s) => parsePromql(s.series).selectors);
}

/**
 * A standard traffic scenario: logins, token refreshes (some refused by the auth rate limit), searches, reads, a
 * gate verification, analytics, report requests, readiness probes as the kubelet sends them, and uploads the
 * worker processes: requests of every SLA class, in rounds a few scrapes apart, since a counter's first sample
 * shows no increase and rate() needs a second one.
 */
async function driveStandardTraffic(url: string, env: TestEnvironment): Promise<void> {
  const staff = await env.tokenFor('staff');
  const security = await env.tokenFor('security');
  const student = await env.tokenFor('student');
  const png = await sampleImage('png');
  let refreshes = 0;
  for (let round = 0; round < 3; round++) {
    for (const q of ['john', 'CS2023', 'engineering', 'active']) await call(url, 'GET', `/students/search?q=${q}`, { token: staff });
    await call(url, 'GET', '/students?limit=5', { token: staff });
    await call(url, 'POST', '/passes/verify', { token: security, body: { code: 'k1.AAAA.BBBB', gate: 'north', direction: 'entry' } });
    await call(url, 'GET', '/analytics/verifications?granularity=hour', { token: staff });
    await call(url, 'GET', '/ready');
    await call(url, 'POST', '/auth/login', { body: { email: 'nobody@university.edu', password: 'wrong-password-1' } });
    // Token refreshes are the auth-limited route (logins are limited by their failures): past five a minute they are refused.
    for (let i = 0; i < 3; i++) await call(url, 'POST', '/auth/refresh', { body: { refreshToken: `not-a-token-${refreshes++}` } });
    const report = await call(url, 'POST', '/reports', {
      token: staff,
      body: { type: 'daily-summary', filters: { gates: [`g${round}`] } },
    });
    assert.equal(report.status, 202, JSON.stringify(report.body));
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), `photo-${round}.png`);
    const res = await fetch(`${url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${student}` }, body: form });
    assert.equal(res.status, 202, await res.text());
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}

describe('labels read by alerts, dashboards and promtool tests, against real scrapes', () => {
  let env: TestEnvironment;
  let prometheus: TestPrometheus | undefined;
  let trafficFrom = 0;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    env = await createTestEnvironment('exported-labels');
    const processEnv = {
      ...env.env,
      LOG_LEVEL: 'warn',
      CPU_REQUEST_MILLICORES: '500',
      // The primary stands in as a read replica, so the replica series are exported.
      DATABASE_REPLICA_URLS: env.database.url,
      AUTH_RATE_LIMIT_PER_MINUTE: '5',
      WORKER_QUEUES: 'uploads,reports',
    };
    const api = await spawnApi(processEnv);
    stops.push(() => api.stop());
    const workers = await spawnWorkers(processEnv);
    stops.push(() => stopProcess(workers.child));
    const cnpg = await startCnpgExporter(env.database.url);
    stops.push(() => cnpg.close());
    const operatorPort = await freePort();
    prometheus = await startPrometheus(
      [
        { job: 'cnpg', address: cnpg.address, labels: { namespace: NAMESPACE, pod: 'campus-db-1' } },
        { job: 'api', address: api.metricsAddress, labels: { namespace: NAMESPACE, pod: 'campus-api-0' } },
        { job: 'workers', address: workers.metricsAddress, labels: { namespace: NAMESPACE, pod: 'campus-worker-uploads-0' } },
        {
          job: 'pass-operator',
          address: `127.0.0.1:${operatorPort}`,
          labels: { namespace: 'passplatform-system', pod: 'pass-operator-0' },
        },
      ],
      '1s',
      { ruleGroups: ruleGroups() },
    );
    const operator = await spawnOperator(NAMESPACE, {
      metricsPort: operatorPort,
      spec: { autoscaling: { enabled: true, prometheusUrl: prometheus.url, intervalSeconds: 5 }, cost: { monthlyBudget: 1000 } },
    });
    stops.push(() => operator.stop());
    trafficFrom = Date.now();
    await driveStandardTraffic(api.url, env);
  });

  after(async () => {
    await prometheus?.stop();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await env?.teardown();
  });

  /** Every series of `metric` Prometheus has seen, `__name__` left out. */
  async function seriesOf(metric: string): Promise<LabelSet[]> {
    const url = `${prometheus?.url}/api/v1/series?${new URLSearchParams({ 'match[]': `{__name__=${JSON.stringify(metric)}}`, start: String(Date.now() / 1000 - 3600) })}`;
    const body = (await (await fetch(url)).json()) as { data: LabelSet[] };
    return body.data.map(({ __name__: _name, ...labels }) => labels);
  }

  async function labelsOf(metric: string): Promise<Set<string> | undefined> {
    const series = await seriesOf(metric);
    return series.length ? new Set(series.flatMap((labels) => ['__name__', ...Object.keys(labels)])) : undefined;
  }

  it('every selector, matcher and grouping label exists in what the processes export', async () => {
    const groups = ruleGroups();
    const recorded = new Set(groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : []))));
    const staticLabels = new Map(
      groups.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [[r.record, Object.keys(r.labels ?? {})] as const] : []))),
    );
    // The operator's per-platform series appear once it leads and has reconciled (cost gauges within a minute
    // after), the autoscaler's once it has run, recorded ones after an evaluation, job series after the upload.
    const awaited = [
      METRIC.reconcileTotal,
      METRIC.costMonthProjection,
      METRIC.autoscalerLastRun,
      METRIC.jobsProcessed,
      'passplatform:http_requests:rate5m',
    ];
    for (const metric of awaited) await eventually(() => labelsOf(metric), `${metric} to be scraped`, 180_000);

    const known = new Map<string, Set<string> | undefined>();
    const labels = async (metric: string) => {
      if (!known.has(metric)) {
        const external = EXTERNAL.get(metric);
        known.set(metric, external ? new Set([...external, ...TARGET_LABELS]) : await labelsOf(metric));
      }
      const found = known.get(metric);
      return found && recorded.has(metric) ? new Set([...found, ...(staticLabels.get(metric) ?? [])]) : found;
    };

    const problems: string[] = [];
    const checked = { selectors: 0, groupings: 0 };
    for (const { expr, by } of readers(groups)) {
      const parsed = parsePromql(expr);
      for (const selector of parsed.selectors) {
        const have = await labels(selector.metric);
        if (!have) {
          // A recorded series is absent by design when its window saw no traffic of that kind.
          if (!recorded.has(selector.metric)) problems.push(`${by}: ${selector.metric} is not exported`);
          continue;
        }
        checked.selectors++;
        for (const m of selector.matchers)
          if (m.label !== '__name__' && !have.has(m.label))
            problems.push(`${by}: ${selector.text} selects on "${m.label}", which ${selector.metric} does not have`);
      }
      for (const grouping of parsed.groupings) {
        const available = new Set(grouping.introduced);
        let seen = false;
        for (const s of grouping.selectors) {
          const have = await labels(s.metric);
          if (have) seen = true;
          for (const l of have ?? []) available.add(l);
        }
        if (!seen) continue;
        checked.groupings++;
        for (const label of grouping.labels)
          if (!available.has(label))
            problems.push(`${by}: ${grouping.kind} (${label}) but nothing beneath has "${label}": ${grouping.text.slice(0, 160)}`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.ok(
      checked.selectors > 100 && checked.groupings > 50,
      `only ${checked.selectors} selectors and ${checked.groupings} groupings checked`,
    );
  });

  it('every dashboard panel query returns series under the standard traffic', async () => {
    // Over the whole scenario, as a dashboard's time range shows it: a panel draws something when some
    // series has a number at some step (a NaN-only series draws nothing, so it does not count).
    const panels = panelQueries();
    const drawsSomething = async (expr: string) => {
      const params = new URLSearchParams({
        query: expr,
        start: String(trafficFrom / 1000 - 60),
        end: String(Date.now() / 1000),
        step: '5',
      });
      const body = (await (await fetch(`${prometheus?.url}/api/v1/query_range?${params}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: { values: [number, string][] }[] };
      };
      assert.equal(body.status, 'success', `${expr}: ${body.error}`);
      return (body.data?.result ?? []).some((series) => series.values.some(([, value]) => Number.isFinite(Number(value))));
    };
    let empty: string[] = [];
    // Recorded and operator series appear within a few evaluations and reconciles of the traffic.
    await eventually(
      async () => {
        empty = [];
        for (const { expr, by } of panels) if (!(await drawsSomething(expr))) empty.push(`${by}: ${expr}`);
        return empty.length === 0;
      },
      'every panel to draw a series',
      180_000,
    ).catch(() => undefined);
    assert.deepEqual(empty, [], `panels with no series under the standard traffic:\n${empty.join('\n')}`);
    assert.ok(panels.length > 40, `only ${panels.length} panel queries`);
  });

  it('promtool unit tests feed series labelled as the processes label them', async () => {
    const problems: string[] = [];
    const target = new Set<string>([...TARGET_LABELS, 'le']);
    for (const selector of promtoolInputSeries()) {
      if (EXTERNAL.has(selector.metric)) continue;
      const have = await labelsOf(selector.metric);
      if (!have) {
        problems.push(`${selector.metric} is not exported`);
        continue;
      }
      for (const m of selector.matchers)
        if (!target.has(m.label) && !have.has(m.label))
          problems.push(`${selector.text}: "${m.label}" is not a label of ${selector.metric}`);
    }
    assert.deepEqual([...new Set(problems)], [], [...new Set(problems)].join('\n'));
  });

  it('the captured series the promtool scenarios are built from are what the processes export', async () => {
    const metrics = [...new Set(promtoolInputSeries().map((s) => s.metric))].filter((m) => !EXTERNAL.has(m)).sort();
    const live: CapturedSeries = {};
    for (const metric of metrics) {
      const sorted = (await seriesOf(metric)).map((labels) =>
        Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))),
      );
      // Enough per metric for every route's histogram buckets and every Postgres setting, without growing without bound.
      if (sorted.length) live[metric] = sorted.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))).slice(0, 300);
    }
    if (process.env.CAPTURE_SERIES) writeFileSync(CAPTURED_SERIES_FILE, `${JSON.stringify(live, null, 1)}\n`);
    const names = (sets: LabelSet[] | undefined) => [...new Set((sets ?? []).flatMap((l) => Object.keys(l)))].sort().join(',');
    const checkedIn = capturedSeries();
    const drift = metrics
      .filter((m) => names(checkedIn[m]) !== names(live[m]))
      .map((m) => `${m}: captured [${names(checkedIn[m])}], exported [${names(live[m])}]`);
    assert.deepEqual(drift, [], `${drift.join('\n')}\nrun npm run capture-series`);
  });
});
