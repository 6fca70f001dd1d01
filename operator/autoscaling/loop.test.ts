/**
 * The operator with its autoscaling loop and cost tracking, through the real
 * @kubernetes/client-node against a real control plane, as the operator's own ServiceAccount with the
 * chart's RBAC. Prometheus is stood in for by an HTTP
 * server implementing the part of its query API the signals client calls (/api/v1/query), with
 * canned vectors: rising load scales the API Deployment with a reason in status and an Event;
 * Prometheus down holds the replicas and says which queries failed; a restarted operator carries
 * on from the same state and cost-history ConfigMaps; the cost endpoint and gauges answer. What
 * the policy learned goes through the real kube-apiserver with the state: a latency curve learned
 * by one operator is in the ConfigMap the moment it starts setting a cap, and the next operator's
 * first decision uses it; a ConfigMap edited by hand or cut short costs only the parts it spoils.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { METRIC } from '../../core/metric-names.js';
import { eventually } from '../../testing/eventually.js';
import { useOperatorNamespace } from '../../testing/control-plane/use-control-plane.js';
import { curveSetsCap, decodeState, readState as readStoredState } from '../autoscaler/state-codec.js';
import type { AutoscalerState } from '../autoscaler/types.js';
import { POLICY } from '../autoscaler/tuning.js';
import { AUTOSCALER_STATE_KEY, autoscalerStateConfigMapName } from './state-store.js';
import { costHistoryConfigMapName, HISTORY_KEY } from '../cost/io/configmap-persistence.js';
import { decodeHistory } from '../cost/history-document.js';
import { smallAutoscaledPlatform } from '../fixtures.js';
import { OPERATOR_PROBES, startProbeServer } from '../../core/probe-server.js';
import { PassOperator } from '../operator.js';
import { apiQueries, DEFAULT_WINDOW } from './signals/queries.js';

// Its own namespace on a control plane other test files share.
const kube = useOperatorNamespace('loop');
const NAMESPACE = kube.namespace;
const scope = { matchers: `namespace="${NAMESPACE}"`, window: DEFAULT_WINDOW, platform: 'campus' };
const queries = apiQueries(scope);

interface ApiLoad {
  authRate: number;
  authP95: number;
  cpuCores: number;
  pods: number;
}
const QUIET: ApiLoad = { authRate: 5, authP95: 0.03, cpuCores: 0.025, pods: 1 };
// 200 logins/s at 5 ms CPU each on 100m pods, and auth's p95 over its 200 ms SLA.
const BUSY: ApiLoad = { authRate: 200, authP95: 0.25, cpuCores: 1, pods: 1 };
const REQUESTS_THIS_MONTH = 1_234_567;

/** Answers /api/v1/query like Prometheus would for the API's series under `load`; `down` drops every connection. */
class CannedPrometheus {
  load: ApiLoad = QUIET;
  down = false;
  /** The time its samples carry: the operator's clock. */
  clock: () => number = Date.now;
  readonly seen: string[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (this.down) return void req.socket.destroy();
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const query = new URLSearchParams(body).get('query') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
        this.seen.push(query);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: this.answer(query) } }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(query: string) {
    const t = this.clock() / 1000;
    const sample = (value: number, metric: Record<string, string> = {}) => ({ metric, value: [t, String(value)] });
    if (query.startsWith(`sum(increase(${METRIC.httpServerDuration}_count{${scope.matchers}, component="api", sla_class!="none"}[`))
      return [sample(REQUESTS_THIS_MONTH)];
    switch (query) {
      case queries.requestRateByClass:
        return [sample(this.load.authRate, { sla_class: 'auth' })];
      case queries.p95ByClass:
        return [sample(this.load.authP95, { sla_class: 'auth' })];
      case queries.cpuCores:
        return [sample(this.load.cpuCores)];
      case queries.readyPods:
        return [sample(this.load.pods)];
      case queries.errorRatio:
        return [sample(0)];
      case queries.sampledAt:
        return [sample(t)];
      default:
        // Workers, Postgres and Redis export nothing here: their components hold.
        return [];
    }
  }
}

let prometheus: CannedPrometheus;
let prometheusUrl: string;

const getPlatform = () => kube.platform();
const apiReplicas = () => kube.apiReplicas();
const readState = async () => {
  const configMap = await kube.cluster.core.readNamespacedConfigMap({ name: autoscalerStateConfigMapName('campus'), namespace: NAMESPACE });
  const state = decodeState(configMap.data?.[AUTOSCALER_STATE_KEY] ?? '');
  assert.ok(state, 'the stored state decodes');
  return { state, configMap };
};
const readHistory = async () => {
  const configMap = await kube.cluster.core.readNamespacedConfigMap({ name: costHistoryConfigMapName('campus'), namespace: NAMESPACE });
  return decodeHistory(configMap.data?.[HISTORY_KEY] ?? '');
};

/** What the operator logged as warnings (the messages). */
const warnings: string[] = [];
const log = {
  info: () => undefined,
  warn: (_: object, message: string) => void warnings.push(message),
  error: (_: object, message: string) => void warnings.push(message),
};

async function startOperator(clock?: () => number): Promise<PassOperator> {
  const operator = new PassOperator({
    kubeConfig: kube.kubeConfig,
    namespace: NAMESPACE,
    resyncMs: 3_600_000,
    costRefreshMs: 3_600_000,
    log,
    ...(clock ? { clock } : {}),
  });
  await operator.start();
  return operator;
}

/** One autoscaling run now, then the reconcile it asked for. */
async function runAutoscaler(operator: PassOperator) {
  await operator.autoscaling.runNow(await getPlatform());
  await operator.controller.idle();
}

before(async () => {
  prometheus = new CannedPrometheus();
  prometheusUrl = await prometheus.start();
});

after(async () => {
  await prometheus.close();
});

describe('the operator’s autoscaling loop and cost tracking', () => {
  it('scales the API on rising load, holds while Prometheus is down, and carries on after a restart', async () => {
    let operator = await startOperator();
    try {
      // Runs are driven by the test (runNow); the timer's first run happens at start.
      await kube.createPlatform(
        smallAutoscaledPlatform('campus', NAMESPACE, { prometheusUrl, intervalSeconds: 3600 }, { cost: { monthlyBudget: 500 } }),
      );
      await eventually(async () => (await apiReplicas()) !== undefined, 'API Deployment created');

      // Quiet: a handful of logins per second fits one pod.
      prometheus.load = QUIET;
      await runAutoscaler(operator);
      await runAutoscaler(operator);
      const quiet = await apiReplicas();
      assert.equal(quiet, 1);
      assert.ok(prometheus.seen.includes(queries.requestRateByClass), 'the loop asked for the request rate with the platform’s namespace');

      // Busy: the API Deployment grows, with the reason in status and an Event.
      prometheus.load = BUSY;
      await runAutoscaler(operator);
      const busy = await eventually(async () => {
        const replicas = await apiReplicas();
        return replicas !== undefined && replicas > (quiet ?? 0) && replicas;
      }, 'API scaled up');
      const status = (await getPlatform()).status;
      const decision = status?.decisions?.find((d) => d.component === 'api' && d.to === busy);
      assert.ok(decision, `decision for api → ${busy} in status`);
      assert.match(decision.reason, /req\/s/);
      assert.equal(decision.signals.requestRate, BUSY.authRate);
      assert.equal(status?.replicas?.api, busy);
      assert.equal(status?.slaState, 'Violated: auth');
      assert.equal(status?.conditions?.find((c) => c.type === 'ScalingActive')?.status, 'True');
      const events = await kube.cluster.core.listNamespacedEvent({ namespace: NAMESPACE });
      assert.ok(
        events.items.some((e) => e.reason === 'Scaled' && e.message?.startsWith(`api ${quiet} → ${busy}:`)),
        'Scaled event for the API',
      );
      const metrics = await operator.metrics.registry.metrics();
      assert.match(
        metrics,
        new RegExp(`${METRIC.desiredReplicas}\\{platform="campus",platform_namespace="${NAMESPACE}",component="api"\\} ${busy}`),
      );
      assert.match(
        metrics,
        new RegExp(`${METRIC.scalingDecisions}\\{platform="campus",platform_namespace="${NAMESPACE}",component="api",direction="up"\\} 1`),
      );

      // The policy's memory and the replica history are in ConfigMaps owned by the platform.
      const { state: stateBefore, configMap } = await readState();
      assert.equal(configMap.metadata?.ownerReferences?.[0]?.uid, (await getPlatform()).metadata.uid);
      assert.equal(stateBefore.components.api?.replicas, busy);
      const historyBefore = await readHistory();
      assert.equal(historyBefore.components.api?.at(-1)?.[1], busy, 'the cost history has the applied count');

      // Prometheus down: nothing moves, even with quiet load remembered from before; the condition names the failing queries.
      prometheus.down = true;
      prometheus.load = QUIET;
      await runAutoscaler(operator);
      await runAutoscaler(operator);
      assert.equal(await apiReplicas(), busy);
      const held = await getPlatform();
      const scaling = held.status?.conditions?.find((c) => c.type === 'ScalingActive');
      assert.equal(scaling?.status, 'False');
      assert.equal(scaling?.reason, 'SignalsUnavailable');
      assert.match(
        scaling?.message ?? '',
        new RegExp(`(\\d+) of \\1 Prometheus queries .* failed .*\\{namespace="${NAMESPACE}", component="api"\\}`),
      );
      assert.match(scaling?.message ?? '', new RegExp(prometheusUrl));
      assert.equal(held.status?.phase === 'Degraded', false, 'a blind autoscaler does not make the platform Degraded');
      const warnings = (await kube.cluster.core.listNamespacedEvent({ namespace: NAMESPACE })).items.filter(
        (e) => e.reason === 'SignalsUnavailable',
      );
      assert.equal(warnings.length, 1, `one Warning for the outage, not one per run: ${warnings.map((e) => e.message).join(' / ')}`);
      assert.equal(
        (await readState()).configMap.metadata?.resourceVersion,
        configMap.metadata?.resourceVersion,
        'no run stored while blind',
      );

      // Restart: a new operator reads the same state and history and continues from them.
      await operator.stop();
      operator = await startOperator();
      prometheus.down = false;
      prometheus.load = BUSY;
      await runAutoscaler(operator);
      const afterRestart = (await apiReplicas()) ?? 0;
      assert.ok(afterRestart >= busy, `not reset to the minimum by the restart (${afterRestart} after ${busy})`);
      const { state: stateAfter } = await readState();
      const firstSample = (s: AutoscalerState) => s.components.api?.recent[0]?.at;
      // Stored only when something durable changed (state-codec.ts): a busy run that holds may not write.
      assert.equal(firstSample(stateAfter), firstSample(stateBefore), 'load samples from before the restart are still there');
      const historyAfter = await readHistory();
      assert.deepEqual(historyAfter.components.api?.[0], historyBefore.components.api?.[0], 'the cost history kept its start');
      assert.equal((await getPlatform()).status?.conditions?.find((c) => c.type === 'ScalingActive')?.status, 'True');

      // Cost: the gauges and the operator's /cost endpoint read the same history.
      await operator.cost.refresh();
      const gauges = await operator.metrics.registry.metrics();
      assert.match(gauges, new RegExp(`${METRIC.costBudget}\\{platform="campus",platform_namespace="${NAMESPACE}"[^}]*\\} 500`));
      assert.match(gauges, new RegExp(`${METRIC.costSpendRate}\\{platform="campus",platform_namespace="${NAMESPACE}"[^}]*\\} [0-9.]+`));
      const http = await startProbeServer({
        paths: OPERATOR_PROBES,
        registry: operator.metrics.registry,
        ready: () => operator.synced,
        port: 0,
        host: '127.0.0.1',
        routers: operator.routers(),
      });
      try {
        const response = await fetch(`http://127.0.0.1:${http.port}/cost/${NAMESPACE}/campus?format=json`);
        assert.equal(response.status, 200);
        const report = (
          (await response.json()) as {
            data: {
              lines: { line: string; peakReplicas: number }[];
              spend: { monthlyBudget: number };
              unitCosts: { requests?: number; activeUsers?: number; per1000Requests: number | null };
            };
          }
        ).data;
        assert.equal(report.unitCosts.requests, REQUESTS_THIS_MONTH, 'requests read from Prometheus');
        assert.ok(report.unitCosts.per1000Requests !== null);
        assert.equal(report.unitCosts.activeUsers, undefined, 'active users are not made up');
        assert.equal(report.lines.find((l) => l.line === 'api')?.peakReplicas, afterRestart);
        assert.equal(report.spend.monthlyBudget, 500);
        assert.equal((await fetch(`http://127.0.0.1:${http.port}/readyz`)).status, 200);
        assert.match(await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text(), new RegExp(METRIC.costMonthToDate));
      } finally {
        await http.close();
      }
    } finally {
      await operator.stop();
    }
  });
  it('keeps a learned latency curve across a restart, and reads what it can of a spoiled state', async (t) => {
    // The operator's and Prometheus's clock, a run 15 s after the last as a 15 s interval spaces
    // them: a curve takes a point only once the API's ready count has held for the signals' 1-minute
    // window (autoscaler/startup.ts settled), which runs back to back in real time never reach.
    let now = Date.now();
    const clock = () => now;
    prometheus.clock = clock;
    t.after(() => {
      prometheus.clock = Date.now;
    });
    // Auth's p95 grows as 0.03 + 0.075 s / (1 − ρ) of the API pod's CPU: it reaches 90 % of the
    // 200 ms SLA at ρ = 50 %, under the spec's 70 %.
    const learning = (run: number): ApiLoad => {
      const utilisation = 0.1 + 0.05 * (run % 10);
      return { authRate: 50, authP95: 0.03 + 0.075 / (1 - utilisation), cpuCores: utilisation * 0.1, pods: 1 };
    };
    prometheus.load = learning(0);
    let operator = await startOperator(clock);
    let learnedAt: number | undefined;
    let storedWeight = 0;
    try {
      for (let run = 0; run < 60 && learnedAt === undefined; run++) {
        prometheus.load = learning(run);
        await runAutoscaler(operator);
        now += 15_000;
        const fit = (await readState()).state.apiLatencyFit?.auth;
        if (curveSetsCap(fit)) [learnedAt, storedWeight] = [run, fit?.w ?? 0];
      }
    } finally {
      await operator.stop();
    }
    // Stored the run it started setting a cap: 40 samples make a fit (POLICY.downstreamMinWeight),
    // one per run — ours, plus the operator's own first timer run when it lands before ours does.
    assert.ok(
      learnedAt !== undefined && learnedAt >= POLICY.downstreamMinWeight - 2,
      `auth's curve in the ConfigMap after run ${learnedAt}`,
    );
    assert.ok(storedWeight < POLICY.downstreamMinWeight + 1, `stored at weight ${storedWeight}, not runs after the cap started`);
    const { configMap: learnedMap } = await readState();

    // A new operator (a new leader): its first decision sizes the API on that curve.
    operator = await startOperator(clock);
    try {
      // Twice the API's CPU of the first test's busy spell: more pods than run now, with or without the curve.
      const rush: ApiLoad = { authRate: 2000, authP95: 0.15, cpuCores: 1.4, pods: 1 };
      prometheus.load = rush;
      await runAutoscaler(operator);
      // The decision made on this load, by whichever run read it: the operator's own first timer run can
      // start before the load changes (its decision is stamped with its start) and read Prometheus after,
      // and then ours holds. Neither this test's earlier loads nor the first test's reach this rate.
      const first = (await getPlatform()).status?.decisions?.findLast(
        (d) => d.component === 'api' && d.signals.requestRate === rush.authRate,
      );
      assert.ok(first, 'the new operator scaled the API');
      assert.match(first.reason, /auth p95 0\.0\d+ \+ 0\.0\d+ s \/ \(1 − ρ\): ≤ [\d.]+ % keeps it in its SLA/);
      const ceiling = first.signals.latencyCeiling ?? 1;
      assert.ok(Math.abs(ceiling - 0.5) < 0.02, `cap ${ceiling} from the stored curve`);
    } finally {
      await operator.stop();
    }

    // Hand-edited: auth's curve and the API's seasonal memory spoiled, the rest intact.
    const stored = JSON.parse(learnedMap.data?.[AUTOSCALER_STATE_KEY] ?? '{}') as {
      apiLatencyFit: Record<string, unknown>;
      components: { api: { seasonal: { means: string } } };
    };
    stored.apiLatencyFit.auth = 'tuned by hand';
    stored.components.api.seasonal.means = 'AA';
    const edit = async (text: string) => {
      const { configMap } = await readState().catch(async () => ({
        configMap: await kube.cluster.core.readNamespacedConfigMap({ name: autoscalerStateConfigMapName('campus'), namespace: NAMESPACE }),
      }));
      await kube.cluster.core.replaceNamespacedConfigMap({
        name: autoscalerStateConfigMapName('campus'),
        namespace: NAMESPACE,
        body: { ...configMap, data: { ...configMap.data, [AUTOSCALER_STATE_KEY]: text } },
      });
    };
    await edit(JSON.stringify(stored));
    warnings.length = 0;
    const running = await apiReplicas();
    operator = await startOperator(clock);
    try {
      await runAutoscaler(operator);
      const warned = warnings.find((w) => w.startsWith('autoscaler state partly unreadable')) ?? warnings.join('\n');
      assert.match(warned, /API latency curve of auth unreadable/);
      assert.match(warned, /component api: seasonal memory unreadable/);
      // Written again at once, whole: the warning is not repeated by the next operator.
      const { state, configMap } = await readState();
      assert.deepEqual(readStoredState(configMap.data?.[AUTOSCALER_STATE_KEY] ?? '').problems, []);
      assert.ok(!curveSetsCap(state.apiLatencyFit?.auth), 'auth’s curve is relearned');
      assert.ok((state.components.api?.recent.length ?? 0) > 1, 'the readable parts are kept (the recent samples)');
      assert.equal((await getPlatform()).status?.conditions?.find((c) => c.type === 'ScalingActive')?.status, 'True');

      // Cut short: nothing readable; the API continues from what runs, not from its minimum.
      const text = (await readState()).configMap.data?.[AUTOSCALER_STATE_KEY] ?? '';
      await edit(text.slice(0, text.length / 2));
      await operator.stop();
      warnings.length = 0;
      operator = await startOperator(clock);
      await runAutoscaler(operator);
      assert.ok(
        warnings.some((w) => /not JSON.*starting fresh/.test(w)),
        warnings.join('\n'),
      );
      assert.ok(((await apiReplicas()) ?? 0) >= (running ?? 0), 'not reset to the minimum');
      assert.ok((await readState()).state, 'the ConfigMap holds a readable state again');
    } finally {
      await operator.stop();
    }
  });
});
