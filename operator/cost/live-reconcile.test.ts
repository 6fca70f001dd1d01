/**
 * The cost report of a live platform, reconciled by hand. The API runs as a process (as a pod
 * starts it) on a Postgres and Redis of the test's own; a real Prometheus scrapes it and the
 * kubelet's cAdvisor endpoint for its container (testing/kubelet-cadvisor.ts: the process's own CPU
 * time and resident memory from /proc); known traffic comes from four users. The report comes
 * through the operator's cost path: the replica history store, the /cost HTTP route, the
 * Prometheus readers of requests, active users and container usage, the allocation, the gauges.
 * The one piece not run is the read of the PassPlatform and its history ConfigMap from a
 * kube-apiserver (configmap-persistence.test.ts covers it): the history lives in memory here.
 *
 * The test then recomputes every figure itself: the requested vCPU and memory from the replica and
 * the sizing, the usage from Prometheus with PromQL written here (checked against the raw samples),
 * max(request, usage) and the idle part at the price table's rates, the shared service prorated,
 * the unit costs from the traffic it sent and the users it logged in. Prices are set high (a
 * vCPU-hour at 3,600) so minutes of a small process cost dollars and a cent is a real difference.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import type { PriceSpec } from '../../platform-api/v1alpha1/index.js';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { startKubeletCadvisor } from '../../testing/kubelet-cadvisor.js';
import type { ExpositionTarget } from '../../testing/exposition-target.js';
import { spawnApi, stopProcess } from '../../testing/platform-processes.js';
import { startPrometheus, type TestPrometheus } from '../../testing/prometheus.js';
import { PrometheusClient } from '../autoscaling/signals/prometheus-client.js';
import { TEST_SIZING } from './fixtures.js';
import { emptyHistory, historyStart, type HistoryDocument } from './history-document.js';
import { ReplicaHistoryStore, type HistoryPersistence } from './history-store.js';
import { costReportRouter } from './http.js';
import { observedUsage } from './io/platform-usage.js';
import { CostMetrics } from './metrics.js';
import type { CostReport } from './report.js';
import type { SizingSpec } from './prices.js';

const NAMESPACE = 'cost-live';
const POD = 'campus-api-5d8f7c9b6-q2x7m';
const USERS = 4;
const REQUESTS_PER_USER = 30;
/** A vCPU-second costs 1.00 and a GiB-second 0.10; the shared monitoring 1.00 an hour (730 a month of 730 hours). */
const PRICES: PriceSpec = {
  currency: 'USD',
  vcpuHour: 3600,
  gibHour: 360,
  postgresInstanceHour: 0,
  redisNodeHour: 0,
  storageGibMonth: 0,
  sharedCosts: [{ name: 'monitoring', monthly: 730 }],
};
/**
 * One API replica of 10m and 1Gi: a Node process serving a few requests a second uses more CPU
 * than that (burst) and less memory (idle), so both sides of max(request, usage) are exercised.
 * Postgres and Redis are external (not priced).
 */
const SIZING: SizingSpec = {
  ...TEST_SIZING,
  api: { ...TEST_SIZING.api, resources: { cpu: '10m', memory: '1Gi' } },
  database: { mode: 'external', external: { primarySecretName: 'db' } },
  redis: { mode: 'external', external: { secretName: 'redis' } },
};
const REQUESTED = { vcpu: 0.01, gib: 1 };
const HOUR_MS = 3_600_000;
const GIB = 1024 ** 3;

/** The history's persistence kept in memory (the ConfigMap's compare-and-swap is not what this test is about). */
class MemoryPersistence implements HistoryPersistence {
  private doc: HistoryDocument = emptyHistory();
  async load() {
    return { doc: this.doc, version: '1' };
  }
  async save(doc: HistoryDocument) {
    this.doc = doc;
    return '1';
  }
}

describe('the live cost report, reconciled by hand', { timeout: 15 * 60_000 }, () => {
  let env: TestEnvironment;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let kubelet: ExpositionTarget;
  let prometheus: TestPrometheus;
  let store: ReplicaHistoryStore;
  let from: number;
  let to: number;
  let emails: string[];

  before(async () => {
    env = await createTestEnvironment('cost-live');
    emails = await Promise.all(Array.from({ length: USERS }, async () => (await env.createUser('staff')).email));
    api = await spawnApi(env.env);
    kubelet = await startKubeletCadvisor([
      { namespace: NAMESPACE, pod: POD, container: 'app', image: 'passplatform:test', pid: api.child.pid as number },
    ]);
    prometheus = await startPrometheus(
      [
        { job: 'api', address: api.metricsAddress, labels: { namespace: NAMESPACE, pod: POD } },
        { job: 'kubelet', address: kubelet.address },
      ],
      '1s',
    );
    store = new ReplicaHistoryStore(new MemoryPersistence());
  });

  after(async () => {
    await prometheus?.stop();
    await kubelet?.close();
    if (api) await stopProcess(api.child).catch(() => undefined);
    await env?.teardown();
  });

  it('serves a report whose every figure the test recomputes, to within the rounding it documents', async () => {
    const client = new PrometheusClient(prometheus.url);
    // Warm-up outside the period: each user logs in and lists once, so every counter the period reads exists before it.
    const tokens: string[] = [];
    for (const email of emails) {
      const login = await call(api.url, 'POST', '/auth/login', { body: { email, password: 'Correct-Horse-Battery-9' } });
      assert.equal(login.status, 200);
      tokens.push(login.body.data.token as string);
      assert.equal((await call(api.url, 'GET', '/students?limit=5', { token: login.body.data.token as string })).status, 200);
    }
    await scrapedAfter(client, Date.now());

    // The platform starts: the operator records its one API replica, as after a reconcile.
    from = Date.now();
    await store.recordObserved({ api: 1, 'worker-uploads': 0, 'worker-reports': 0 }, PRICES);
    const history = await store.load();
    from = historyStart(history) ?? from;
    await scrapedAfter(client, from);
    // A round every 1.5 s for 45 s: the period spans several points of the usage grid (15 s).
    for (let round = 0; round < REQUESTS_PER_USER; round++) {
      for (const token of tokens) assert.equal((await call(api.url, 'GET', `/students?limit=${1 + (round % 5)}`, { token })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    // Probes are not requests users make: the report must not count them.
    for (let i = 0; i < 10; i++) await call(api.url, 'GET', '/health');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    to = Date.now();
    await scrapedAfter(client, to);

    const report = await serveReport(history, client, to);
    const hand = await reconcileByHand(client, prometheus.url, from, to);

    const apiLine = report.lines.find((line) => line.line === 'api');
    assert.ok(apiLine?.allocation, 'the API line is allocated from measured usage');
    // The report prices usage kept to a billionth of a core-hour and GiB-hour and rounds each hour's
    // cost to a micro-unit (docs/adr/0005-cost-accounting.md); the hand figures are not rounded. So
    // per hour bin a money figure may differ by half a micro-unit plus half a billionth of each
    // resource at its price (at these prices 0.5 + 1.8 + 0.18 micro-units), and no more.
    const moneyPerBin = 0.5e-6 + 0.5e-9 * (PRICES.vcpuHour + PRICES.gibHour);
    const money = hand.bins * moneyPerBin;
    const within = (actual: number, expected: number, bound: number, what: string) =>
      assert.ok(Math.abs(actual - expected) <= bound + 1e-12, `${what}: report ${actual}, by hand ${expected}, bound ${bound}`);

    // The figures side by side, on stderr for the record.
    console.error(JSON.stringify({ report: { api: apiLine, idle: report.idle, total: report.total.cost, unit: report.unitCosts }, hand }));
    for (const [what, actual, expected, bound] of [
      ['api cost', apiLine.cost, hand.apiCost, money],
      ['api idle', apiLine.allocation.idleCost, hand.idle, money],
      ['api burst', apiLine.allocation.burstCost, hand.burst, money],
      ['api at its requests', apiLine.allocation.requestCost, hand.requestCost, hand.bins * 0.5e-6],
      ['shared services', report.sharedCosts[0]?.cost ?? NaN, hand.shared, 0.5e-6],
      ['total', report.total.cost, hand.total, money + 0.5e-6],
    ] as const) {
      within(actual, expected, bound, what);
    }
    assert.equal(report.idle?.cost, apiLine.allocation.idleCost);
    within(apiLine.allocation.usedVcpuHours * 3600, hand.usedCpuSeconds, hand.bins * 0.5e-9 * 3600, 'CPU seconds used');
    within(apiLine.allocation.usedGibHours, hand.usedGibHours, hand.bins * 0.5e-9, 'GiB-hours used');

    // Users and requests: the four who logged in, and the requests they sent in the period (not the probes).
    assert.equal(report.unitCosts.activeUsers, USERS);
    const sent = USERS * REQUESTS_PER_USER;
    const requests = report.unitCosts.requests ?? 0;
    // increase() extrapolates to the period's ends by at most a scrape interval or so at each end.
    assert.ok(requests >= sent && requests <= Math.ceil(sent * (1 + 2.5 / ((to - from) / 1000))), `${requests} requests for ${sent} sent`);
    // Unit costs are the total divided, rounded once more to a micro-unit.
    within(
      report.unitCosts.per1000Requests ?? NaN,
      (hand.total * 1000) / requests,
      ((money + 0.5e-6) * 1000) / requests + 0.5e-6,
      'per 1,000 requests',
    );
    within(report.unitCosts.perActiveUser ?? NaN, hand.total / USERS, (money + 0.5e-6) / USERS + 0.5e-6, 'per active user');

    // The per-component gauges the dashboard draws carry the same figures.
    const registry = new Registry();
    new CostMetrics(registry).update({ namespace: NAMESPACE, name: 'campus' }, report);
    const gauges = await registry.metrics();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{[^}]*cost_line="api"[^}]*\\} (\\S+)$`, 'm').exec(gauges)?.[1] ?? NaN);
    within(gauge(METRIC.costLineMonthToDate), hand.apiCost, money, 'API gauge');
    within(gauge(METRIC.costLineIdleMonthToDate), hand.idle, money, 'idle gauge');
  });

  /** GET /cost/NS/campus over [from, to] through the operator's route, its usage read from the live Prometheus. */
  async function serveReport(history: HistoryDocument, client: PrometheusClient, now: number): Promise<CostReport> {
    const app = new Koa();
    app.use(
      costReportRouter({
        source: { load: async () => ({ sizing: SIZING, prices: PRICES, decisions: [], history }) },
        observed: (platform, _data, period, at) =>
          observedUsage(client, { namespace: platform.namespace, platform: platform.name }, period, at),
        clock: () => now,
      }).routes(),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cost/${NAMESPACE}/campus`;
      const query = `from=${new Date(from).toISOString()}&to=${new Date(now).toISOString()}`;
      const response = await fetch(`${base}?${query}&format=json`);
      assert.equal(response.status, 200);
      const html = await (await fetch(`${base}?${query}&format=html`)).text();
      assert.ok(html.includes('Idle: requested, not used'), 'the HTML report shows the idle line');
      const totals = await (await fetch(`${base}?${query}&format=csv-totals`)).text();
      assert.match(totals.split('\r\n')[0] ?? '', /idle_cost/);
      return ((await response.json()) as { data: CostReport }).data;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
});

/** Waits until Prometheus holds a successful scrape of both targets stamped after `time`. */
async function scrapedAfter(client: PrometheusClient, time: number): Promise<void> {
  await eventually(
    async () => {
      const [up] = await client.query('count(up == 1)');
      const [oldest] = await client.query('min(timestamp(up == 1))');
      return up?.value === 2 && (oldest?.value ?? 0) * 1000 > time + 1_000;
    },
    'a scrape of both targets after the mark',
    60_000,
  );
}

/** The raw samples of a range selector at `at` (Prometheus' /api/v1/query answers a matrix). */
async function rawSamples(prometheusUrl: string, selector: string, at: Date): Promise<[number, number][]> {
  const params = new URLSearchParams({ query: selector, time: String(at.getTime() / 1000) });
  const body = (await (await fetch(`${prometheusUrl}/api/v1/query?${params}`)).json()) as {
    data: { result: { values: [number, string][] }[] };
  };
  return (body.data.result[0]?.values ?? []).map(([time, value]) => [time, Number(value)]);
}

interface HandFigures {
  /** Hour bins the period spans (each is priced and rounded on its own). */
  bins: number;
  usedCpuSeconds: number;
  usedGibHours: number;
  requestCost: number;
  burst: number;
  idle: number;
  apiCost: number;
  shared: number;
  total: number;
}

/**
 * The report recomputed from the price table, the sizing and what Prometheus scraped: for each
 * UTC hour part of the period, the CPU seconds the container used (increase of its cAdvisor
 * counter, checked against the raw samples) and its working set summed on a 15 s grid.
 */
async function reconcileByHand(client: PrometheusClient, prometheusUrl: string, from: number, to: number): Promise<HandFigures> {
  const container = `{namespace="${NAMESPACE}", pod="${POD}", container="app"}`;
  const figures: HandFigures = {
    bins: 0,
    usedCpuSeconds: 0,
    usedGibHours: 0,
    requestCost: 0,
    burst: 0,
    idle: 0,
    apiCost: 0,
    shared: 0,
    total: 0,
  };
  for (let start = from; start < to; start = Math.floor(start / HOUR_MS) * HOUR_MS + HOUR_MS) {
    const end = Math.min(to, Math.floor(start / HOUR_MS) * HOUR_MS + HOUR_MS);
    const window = `${end - start}ms`;
    const at = new Date(end);
    const [cpu] = await client.query(`increase(container_cpu_usage_seconds_total${container}[${window}])`, at);
    const [memory] = await client.query(`sum_over_time(container_memory_working_set_bytes${container}[${window}:15s])`, at);
    assert.ok(cpu && memory, 'usage scraped for every part of the period');
    // The raw counter samples in the window bound increase(): at least their difference, at most that difference
    // extrapolated over the whole window (the timestamps are floats in seconds, hence the millionth of slack).
    const raw = await rawSamples(prometheusUrl, `container_cpu_usage_seconds_total${container}[${window}]`, at);
    const [first, last] = [raw[0], raw[raw.length - 1]];
    assert.ok(first && last && last[0] > first[0], 'raw CPU samples in the window');
    const delta = last[1] - first[1];
    const ceiling = (delta * (end - start)) / 1000 / (last[0] - first[0]);
    assert.ok(cpu.value >= delta - 1e-9 && cpu.value <= ceiling * (1 + 1e-6), `increase ${cpu.value} within [${delta}, ${ceiling}]`);
    const hours = (end - start) / HOUR_MS;
    const used = { vcpu: cpu.value / 3600, gib: (memory.value * 15) / GIB / 3600 };
    const requested = { vcpu: REQUESTED.vcpu * hours, gib: REQUESTED.gib * hours };
    const atRequests = requested.vcpu * PRICES.vcpuHour + requested.gib * PRICES.gibHour;
    const allocated = Math.max(requested.vcpu, used.vcpu) * PRICES.vcpuHour + Math.max(requested.gib, used.gib) * PRICES.gibHour;
    figures.bins += 1;
    figures.usedCpuSeconds += cpu.value;
    figures.usedGibHours += used.gib;
    figures.requestCost += atRequests;
    figures.burst += allocated - atRequests;
    figures.idle += Math.max(0, requested.vcpu - used.vcpu) * PRICES.vcpuHour + Math.max(0, requested.gib - used.gib) * PRICES.gibHour;
    figures.apiCost += allocated;
  }
  figures.shared = (730 * (to - from)) / (730 * HOUR_MS);
  figures.total = figures.apiCost + figures.shared;
  return figures;
}
