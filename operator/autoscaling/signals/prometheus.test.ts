/**
 * Against a real Prometheus (the Debian `prometheus` binary, started here) scraping a real HTTP
 * process that exports the API's metric names through prom-client, and its own CPU as the kubelet's
 * cAdvisor publishes a container's: the PromQL returns the signals, and the autoscaler's decision
 * for the API grows when the load does.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRegistry } from '../../../core/metrics.js';
import { RouteDurationHistogram } from '../../../core/route-duration-histogram.js';
import { steadyLoad, type RunningLoad } from '../../../testing/load.js';
import { freePort } from '../../../core/ports.js';
import { eventually } from '../../../testing/eventually.js';
import { line } from '../../../testing/exposition-target.js';
import { startPrometheus, type TestPrometheus } from '../../../testing/prometheus.js';
import { autoscale } from '../../autoscaler/autoscaler.js';
import type { AutoscalerState } from '../../autoscaler/types.js';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../../platform-api/v1alpha1/index.js';
import { collectSignals } from './collect.js';
import { PrometheusClient, PrometheusQueryError } from './prometheus-client.js';
import { apiQueries, type SignalScope } from './queries.js';

const WINDOW_MS = 10_000;
const scope: SignalScope = { matchers: '', window: `${WINDOW_MS / 1000}s`, platform: 'campus' };
const POD = 'campus-api-7d9f8b6c5-x2k9q';
// Small pods, so the load one test process can generate spans several of them.
const spec: PassPlatformSpec = {
  ...DEFAULT_SPEC,
  image: 'passplatform/app:test',
  version: 'test',
  api: { ...DEFAULT_SPEC.api, minReplicas: 1, maxReplicas: 50, resources: { cpu: '100m', memory: '128Mi' } },
};

/** A target exporting the API's histogram: each request burns `?ms` of CPU, like a login hashing a password. */
function startTarget(): Promise<Server> {
  const registry = createRegistry('api');
  // The histogram the API's request frame exports (api/middleware/request-frame.ts).
  const login = new RouteDurationHistogram(registry).seriesOf('POST', '/auth/login', 200, 'auth');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://target');
    if (url.pathname === '/metrics') {
      // This process's CPU, as cAdvisor reports the container it would run in.
      const { user, system } = process.cpuUsage();
      const cpu = line(
        'container_cpu_usage_seconds_total',
        { container: 'app', cpu: 'total', namespace: 'campus', pod: POD },
        (user + system) / 1e6,
        Date.now(),
      );
      void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(`${body}\n${cpu}\n`));
      return;
    }
    const started = process.hrtime.bigint();
    const burnMs = Number(url.searchParams.get('ms') ?? '1');
    while (Number(process.hrtime.bigint() - started) / 1e6 < burnMs) {
      // Busy work stands in for CPU-bound request handling.
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    login.observe(seconds);
    res.writeHead(200).end('ok');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Requests at about `perSecond`, each burning `burnMs` of CPU in the target. */
function load(port: number, perSecond: number, burnMs: number) {
  return steadyLoad(() => fetch(`http://127.0.0.1:${port}/work?ms=${burnMs}`).then((r) => r.text()), perSecond);
}

describe('signals from a real Prometheus', () => {
  let target: Server;
  let targetPort: number;
  let prometheus: TestPrometheus;
  let client: PrometheusClient;

  before(async () => {
    target = await startTarget();
    targetPort = (target.address() as AddressInfo).port;
    prometheus = await startPrometheus([{ job: 'api', address: `127.0.0.1:${targetPort}` }]);
    client = new PrometheusClient(prometheus.url, 5_000);
  });

  after(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => target?.close(() => resolve()));
  });

  it('reports a bad query with its PromQL and Prometheus’ error type', async () => {
    await assert.rejects(client.query('sum(rate(http_server_request_duration_seconds_count[1m]'), (error: unknown) => {
      assert.ok(error instanceof PrometheusQueryError);
      assert.equal(error.errorType, 'bad_data');
      assert.match(error.query, /http_server_request_duration_seconds_count/);
      return true;
    });
  });

  it('reports an unreachable Prometheus as a query error, not a crash', async () => {
    const nobody = new PrometheusClient(`http://127.0.0.1:${await freePort()}`, 1_000);
    await assert.rejects(nobody.query('up'), PrometheusQueryError);
  });

  it('answers range queries over the scraped series', async () => {
    const end = new Date();
    const series = await eventually(
      async () => {
        const result = await client.queryRange('up', new Date(end.getTime() - 30_000), new Date(), 1);
        return result.length ? result : undefined;
      },
      'a scraped up series',
      60_000,
    );
    assert.equal(series[0]?.labels.job, 'api');
  });

  it('reads the API signals through PromQL, and the API decision grows with the load', async () => {
    let state: AutoscalerState | undefined;
    // Decides once Prometheus' rate reflects `running`: the load has run for a window plus two
    // scrapes, and the rate read is at least half of what the load itself completed over the window.
    // Never an absolute rate: a busy machine completes fewer requests than were asked for.
    const decide = async (running: RunningLoad): Promise<number> => {
      const collected = await eventually(
        async () => {
          if (running.runningMs < WINDOW_MS + 2_000) return undefined;
          const c = await collectSignals(client, scope, new Date());
          const rate = c.signals.api?.requestRate?.auth;
          const completed = running.recentRate(WINDOW_MS);
          return rate !== undefined && completed > 0 && rate >= completed / 2 && c.signals.api?.cpuCores !== undefined ? c : undefined;
        },
        'a request rate in Prometheus of at least half the rate the load completed',
        120_000,
      );
      assert.ok((collected.signals.api?.p95LatencySeconds?.auth ?? 0) > 0);
      const now = Date.now();
      const result = autoscale(spec, state, { ...collected.signals, observedAt: now }, now);
      state = result.state;
      return result.replicas.api ?? 0;
    };

    // Rates a busy machine reaches: the heavy load's 10 ms of CPU per request already fills a
    // 100m pod at 10 requests/s, where the light load needs a twentieth of one.
    const light = load(targetPort, 5, 1);
    const quiet = await decide(light);
    await light.stop();

    const heavy = load(targetPort, 40, 10);
    const busy = await decide(heavy);
    await heavy.stop();

    assert.ok(busy > quiet, `API replicas under heavy load (${busy}) above light load (${quiet})`);
    const rates = await client.query(apiQueries(scope).requestRateByClass);
    assert.deepEqual(
      rates.map((s) => s.labels.sla_class),
      ['auth'],
    );
  });
});
