/**
 * Alerts shown firing on real data: the API, the workers and the operator run as processes, a
 * real Prometheus scrapes them with the platform's generated rules loaded, and each condition is
 * produced for real — slow logins, cache misses, CPU over the container's request, a Redis that
 * is killed (the test's own redis-server, never the shared one), stopped
 * workers, a stopped API, a stopped operator, a month projected over budget. Each alert must go
 * pending or firing, and its rendered summary and description must have no empty field.
 *
 * The rules are the operator's (`buildRuleGroups` with the platform's namespace and spec
 * thresholds), with `maxFor` capping every `for:` so the test takes minutes, not hours. Thresholds
 * are the platform spec's own parameters (`spec.alerts`), set where this machine's real behaviour
 * crosses them. Alerts whose windows span days (latency increase against a day, throughput against
 * last week) and those of exporters that cannot run here (CloudNativePG, kubelet) are covered by
 * the promtool tests, whose input series the label test checks against real scrapes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../core/ports.js';
import { DEFAULT_ALERTS, DEFAULT_SLA, type AlertThresholdSpec } from '../operator/spec.js';
import { TEST_PASSWORD, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { examplePlatform, spawnApi, spawnOperator, spawnWorkers, stopProcess } from '../testing/platform-processes.js';
import { startPrometheus, type TestPrometheus } from '../testing/prometheus.js';
import { startOwnRedis, type OwnRedis } from '../testing/redis-server.js';
import { buildOperatorRuleGroups, buildRuleGroups } from './rules.js';
import { isAlertingRule, type AlertingRule, type RuleGroup } from './rule-types.js';

const NAMESPACE = 'alerts-e2e';
const ALERT_DEADLINE_MS = 240_000;

/** Spec thresholds this machine's real behaviour crosses: logins take ~0.3 s (Argon2id), any disk is partly used. */
const THRESHOLDS: AlertThresholdSpec = { ...DEFAULT_ALERTS, warningLatencyP95Seconds: 0.05, criticalLatencyP95Seconds: 0.1, criticalDiskFreeRatio: 0.9999 };

interface FiringAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

describe('alerts fire on real data', { timeout: 30 * 60_000 }, () => {
  let env: TestEnvironment;
  let redis: OwnRedis;
  let prometheus: TestPrometheus;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let workers: Awaited<ReturnType<typeof spawnWorkers>>;
  let operator: Awaited<ReturnType<typeof spawnOperator>>;
  let groups: RuleGroup[];
  let traffic: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await createTestEnvironment('alerts-fire');
    redis = await startOwnRedis();
    // CPU judged against a 1-millicore request: any real work is over 85 % of it.
    const processEnv = { ...env.env, REDIS_URL: redis.url, LOG_LEVEL: 'warn', CPU_REQUEST_MILLICORES: '1', WORKER_QUEUES: 'uploads,reports' };
    api = await spawnApi(processEnv);
    workers = await spawnWorkers(processEnv);
    const operatorPort = await freePort();
    groups = [
      ...buildRuleGroups(THRESHOLDS, DEFAULT_SLA, {
        workloadMatchers: { namespace: NAMESPACE },
        platformMatchers: { platform: examplePlatform().metadata.name, platform_namespace: NAMESPACE },
        maxFor: '10s',
      }),
      ...buildOperatorRuleGroups({ maxFor: '10s' }),
    ];
    prometheus = await startPrometheus(
      [
        { job: 'api', address: api.metricsAddress, labels: { namespace: NAMESPACE, pod: 'campus-api-0' } },
        { job: 'workers', address: workers.metricsAddress, labels: { namespace: NAMESPACE, pod: 'campus-worker-0' } },
        { job: 'pass-operator', address: `127.0.0.1:${operatorPort}`, labels: { namespace: 'passplatform-system', pod: 'pass-operator-0' } },
      ],
      '1s',
      { ruleGroups: groups },
    );
    operator = await spawnOperator(NAMESPACE, {
      metricsPort: operatorPort,
      // A budget of one cent: any running platform is projected over it.
      spec: { autoscaling: { enabled: true, prometheusUrl: prometheus.url, intervalSeconds: 5 }, cost: { monthlyBudget: 0.01 } },
    });
  });

  after(async () => {
    await traffic?.stop();
    await prometheus?.stop();
    for (const stop of [() => operator?.stop(), () => stopProcess(workers?.child), () => stopProcess(api?.child), () => redis?.stop()]) {
      await stop().catch(() => undefined);
    }
    await env?.teardown();
  });

  /** The alert's state in Prometheus once it is pending or firing, its annotations checked for empty fields. */
  async function expectAlert(name: string, labels: Record<string, string> = {}): Promise<FiringAlert> {
    const rule = groups.flatMap((g) => g.rules.filter(isAlertingRule)).find((r) => r.alert === name);
    assert.ok(rule, `no rule ${name}`);
    const alert = await eventually(async () => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: FiringAlert[] } };
      return body.data.alerts.find((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
    }, `${name} to go pending or firing`, ALERT_DEADLINE_MS);
    assertRenderedFully(rule, alert);
    return alert;
  }

  it('slow requests, cache misses, CPU over its request, a used disk and a month over budget', async () => {
    traffic = startTraffic(api.url, env);
    for (const name of ['ApiLatencyP95Critical', 'ApiLatencyP95Warning', 'LatencySloBudgetBurnFast', 'CpuUsageHigh', 'DiskSpaceLow', 'CacheHitRateLow', 'CostBudgetProjectionExceeded']) {
      await expectAlert(name);
    }
  });

  // With the Redis breakers (core/breaker.ts) the API serves on without Redis and never hangs on it,
  // so a lost Redis shows as failing readiness; 5xx ratios and hanging requests are covered by the
  // promtool tests, on series shaped as the label test checks against real scrapes.
  it('a Redis that is gone: readiness fails', async () => {
    await redis.kill();
    try {
      await expectAlert('ApiNotReady');
    } finally {
      await redis.restart();
    }
  });

  it('stopped workers, API and operator: targets down and absent', async () => {
    workers.child.kill('SIGSTOP');
    await expectAlert('ScrapeTargetDown', { job: 'workers' });
    await expectAlert('QueueWorkersAbsent', { queue: 'uploads' });
    await traffic?.stop();
    traffic = undefined;
    api.child.kill('SIGSTOP');
    await expectAlert('ApiAbsent');
    await stopProcess(operator.child);
    await expectAlert('OperatorAbsent');
  });
});

/** Every `{{ $labels.x }}` the rule's annotations use is a non-empty label of the alert, and nothing is left unrendered. */
function assertRenderedFully(rule: AlertingRule, alert: FiringAlert): void {
  for (const [key, template] of Object.entries(rule.annotations)) {
    for (const [, label] of template.matchAll(/\{\{ \$labels\.(\w+) \}\}/g)) {
      assert.ok(alert.labels[label as string], `${rule.alert} ${key} reads $labels.${label}, empty on ${JSON.stringify(alert.labels)}`);
    }
    const rendered = alert.annotations[key] ?? '';
    assert.ok(rendered && !/\{\{|<no value>|NaN/.test(rendered), `${rule.alert} ${key} rendered as "${rendered}"`);
  }
}

/**
 * Background traffic as users make it: logins (Argon2id makes each one slower than the lowered
 * latency thresholds), searches for ever new terms (cache misses) and readiness probes as a
 * kubelet sends them, until stopped. Failures are part of the scenarios, so none throws.
 */
function startTraffic(url: string, env: TestEnvironment): { stop(): Promise<void> } {
  let running = true;
  // Requests into a hung dependency stay in flight (that is the scenario); each gives up after a minute.
  const send = (method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => undefined)) as { data?: { token?: string } } | undefined }), () => undefined);
  const loop = async () => {
    const user = await env.createUser('staff');
    let i = 0;
    while (running) {
      const login = await send('POST', '/auth/login', { email: user.email, password: TEST_PASSWORD });
      const token = login?.body?.data?.token;
      for (let n = 0; n < 3 && token; n++) await send('GET', `/students/search?q=term${++i}x${Date.now()}`, undefined, token);
      await send('GET', '/ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loops = [loop(), loop(), loop()];
  return {
    async stop() {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}
