/**
 * Alerts shown firing on real data. The API, the workers and the operator run as processes (as
 * pods start them) on a Postgres and a Redis of the test's own, a real Prometheus scrapes them
 * every second with the platform's generated rules loaded, and each alert's condition is produced
 * for real: logins (Argon2id), searches that miss the cache, CPU over the container's request,
 * a report worker stuck mid-job while reports queue up, uploads whose clients stall, a paused
 * Redis, a stopped worker, a stopped Postgres with traffic and queued jobs on it, an autoscaler
 * that cannot reach Prometheus, another replica taking the leader Lease, a stopped API and a
 * stopped operator, and a kube-apiserver whose admission policy refuses the operator's writes. Each
 * alert must go pending or firing with every annotation field rendered. The two alerts that compare
 * with history (ApiLatencyIncrease, a day; ThroughputDrop, a week) are driven in
 * baseline-alerts-fire.test.ts, on a Prometheus backfilled with that history.
 *
 * Nothing here waits on a timer that assumes a speed: each step drives its condition and polls
 * Prometheus' /api/v1/alerts with a generous deadline.
 *
 * Rules are the operator's (`buildRuleGroups`), with `maxFor` capping every `for:` so the test
 * takes minutes, not hours. Thresholds are the platform spec's own parameters (`spec.alerts`,
 * `spec.sla`, the queue limits), set where real behaviour on any machine crosses them: no machine
 * hashes Argon2id with 19 MiB in under 10 ms; any process uses more than 0.1 % of the machine's
 * memory; any used disk has less than 99.99 % free.
 *
 * Exporter-shaped targets stand in only where the real exporter cannot run here: CloudNativePG's
 * metrics come from its own default-monitoring queries run against the test's real Postgres
 * (testing/cnpg-exporter.ts; its instance manager only runs in a CNPG pod). Not driven here: the
 * kubelet's volume series (no kubelet here; the promtool tests cover them, their input series
 * checked against real scrapes by exported-labels.test.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { OPERATOR_NAME } from '../cdk8s/operator-install.js';
import { hashPassword } from '../api/auth/passwords.js';
import { METRIC } from '../core/metric-names.js';
import { freePort } from '../core/ports.js';
import { DEFAULT_ALERTS, DEFAULT_SLA, type AlertThresholdSpec, type SlaSpec } from '../platform-api/v1alpha1/index.js';
import { TEST_PASSWORD, call } from '../testing/api.js';
import { startChaosEnvironment, type ChaosEnvironment } from '../testing/chaos/environment.js';
import { startCnpgExporter, type CnpgExporter } from '../testing/cnpg-exporter.js';
import { eventually } from '../testing/eventually.js';
import { spawnOperator, stopProcess } from '../testing/platform-processes.js';
import { startPrometheus, type TestPrometheus } from '../testing/prometheus.js';
import { openSocket } from '../testing/raw-http.js';
import { sampleImage, type WorkerProcess } from '../testing/worker-process.js';
import { activeAlert, assertRenderedFully, type ActiveAlert } from './fired.js';
import { buildOperatorRuleGroups, buildRuleGroups } from './rules.js';
import { isAlertingRule, type RuleGroup } from './rule-types.js';

const NAMESPACE = 'alerts-e2e';
/** A deadline per alert, only there so a broken test fails instead of hanging; a busy machine needs minutes. */
const ALERT_DEADLINE_MS = 300_000;

/** Argon2id with 19 MiB takes over 10 ms on any machine, so logins cross these; any process crosses the memory ones. */
const THRESHOLDS: AlertThresholdSpec = {
  ...DEFAULT_ALERTS,
  warningLatencyP95Seconds: 0.005,
  criticalLatencyP95Seconds: 0.01,
  warningMemoryRatio: 0.001,
  criticalMemoryRatio: 0.002,
  // Every API and worker pool holds a connection or two of the 200 the test's Postgres allows.
  warningDbConnectionsRatio: 0.001,
  criticalDbConnectionsRatio: 0.002,
  criticalDiskFreeRatio: 0.9999,
};
const SLA: SlaSpec = { ...DEFAULT_SLA, auth: 0.01 };
/** A dozen reports queue behind the stuck one; the oldest waits seconds. */
const QUEUES = { backlogJobs: 5, oldestWaitingWarningSeconds: 5, oldestWaitingCriticalSeconds: 10 };
const JOBS = 12;

describe('alerts fire on real data', { timeout: 60 * 60_000 }, () => {
  let world: ChaosEnvironment;
  let prometheus: TestPrometheus;
  let cnpg: CnpgExporter;
  let uploadWorker: WorkerProcess;
  let reportWorker: WorkerProcess;
  let operator: Awaited<ReturnType<typeof spawnOperator>>;
  let groups: RuleGroup[];
  let traffic: Background | undefined;
  let probes: Background | undefined;
  let staffEmail: string;
  /** Every alert a step showed, for the completeness check at the end. */
  const shown = new Set<string>();

  before(async () => {
    world = await startChaosEnvironment({
      // CPU judged against a 1-millicore request: any real work is over 85 % of it.
      CPU_REQUEST_MILLICORES: '1',
      // Stalled upload bodies stay in flight instead of being cut at two minutes.
      HTTP_REQUEST_TIMEOUT_MS: '900000',
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '500',
    });
    staffEmail = `staff-${randomUUID().slice(0, 8)}@alerts.test`;
    await world
      .knex('users')
      .insert({ email: staffEmail, password_hash: await hashPassword(TEST_PASSWORD), role: 'staff', display_name: 'alerts staff' });
    const operatorPort = await freePort();
    [uploadWorker, reportWorker, cnpg] = await Promise.all([
      world.startWorker({ WORKER_QUEUES: 'uploads' }),
      // A report worker that holds each job an hour (the test-only pause mid-job): reports queue behind it.
      world.startWorker({ WORKER_QUEUES: 'reports', REPORT_WORKER_CONCURRENCY: '1', WORKER_TEST_DELAY_MS: '3600000' }),
      startCnpgExporter(world.postgres.url('passplatform')),
    ]);
    const platform = { platform: 'campus', platform_namespace: NAMESPACE };
    groups = [
      ...buildRuleGroups(THRESHOLDS, SLA, {
        workloadMatchers: { namespace: NAMESPACE },
        platformMatchers: platform,
        queues: QUEUES,
        maxFor: '5s',
      }),
      ...buildOperatorRuleGroups({ maxFor: '5s' }),
    ];
    const host = (url: string) => new URL(url).host;
    prometheus = await startPrometheus(
      [
        { job: 'api', address: host(world.url), labels: { namespace: NAMESPACE, pod: 'campus-api-0' } },
        { job: 'worker-uploads', address: host(uploadWorker.metricsUrl), labels: { namespace: NAMESPACE, pod: 'campus-worker-uploads-0' } },
        { job: 'worker-reports', address: host(reportWorker.metricsUrl), labels: { namespace: NAMESPACE, pod: 'campus-worker-reports-0' } },
        { job: 'cnpg', address: cnpg.address, labels: { namespace: NAMESPACE, pod: 'campus-db-1' } },
        {
          job: 'pass-operator',
          address: `127.0.0.1:${operatorPort}`,
          labels: { namespace: 'passplatform-system', pod: 'pass-operator-0' },
        },
      ],
      '1s',
      { ruleGroups: groups },
    );
    probes = startReadinessProbes(world.url);
    operator = await spawnOperator(NAMESPACE, {
      metricsPort: operatorPort,
      // A budget of one cent: any running platform is projected over it.
      spec: { autoscaling: { enabled: true, prometheusUrl: prometheus.url, intervalSeconds: 5 }, cost: { monthlyBudget: 0.01 } },
    });
  });

  after(async () => {
    await traffic?.stop();
    await probes?.stop();
    await prometheus?.stop();
    for (const stop of [() => operator?.stop(), () => cnpg?.close()]) await stop().catch(() => undefined);
    for (const worker of [uploadWorker, reportWorker]) if (worker) await stopProcess(worker.child).catch(() => undefined);
    await world?.teardown();
  });

  /** The alert once it is pending or firing, its annotations checked for empty fields. */
  async function expectAlert(name: string, labels: Record<string, string> = {}): Promise<ActiveAlert> {
    const rule = groups.flatMap((g) => g.rules.filter(isAlertingRule)).find((r) => r.alert === name);
    assert.ok(rule, `no rule ${name}`);
    const alert = await eventually(
      () => activeAlert(prometheus.url, name, labels),
      `${name} ${JSON.stringify(labels)} to go pending or firing`,
      ALERT_DEADLINE_MS,
    );
    assertRenderedFully(rule, alert);
    shown.add(name);
    return alert;
  }

  const expectAll = (names: string[]) => Promise.all(names.map((name) => expectAlert(name)));

  it('traffic: slow logins, cache misses, CPU over its request, memory, a used disk, busy Postgres, a stuck queue, a month over budget', async () => {
    traffic = startTraffic(world.url, staffEmail);
    const staff = world.tokens.staff;
    for (let i = 0; i < JOBS; i++) {
      // With the logins taking every core, an enqueue can miss Redis' 500 ms command deadline: the
      // API answers 503 "retry later", and a retry of the same request is deduplicated.
      const res = await eventually(
        async () => {
          const answer = await call(world.url, 'POST', '/reports', {
            token: staff,
            body: { type: 'daily-summary', filters: { gates: [`gate-${i}`] } },
          });
          return answer.status !== 503 && answer;
        },
        `report ${i} answered other than 503`,
        ALERT_DEADLINE_MS,
      );
      assert.equal(res.status, 202, JSON.stringify(res.body));
      // The backlog must be seen growing: half the reports, then a scrape of them waiting, then the rest
      // (all twelve inside one scrape of the workers' queue gauge left deriv() at 0 and the alert silent).
      if (i === JOBS / 2 - 1)
        await eventually(() => reportsWaitingScraped(prometheus.url), 'waiting reports to be scraped', ALERT_DEADLINE_MS);
    }
    await expectAll([
      'ApiLatencyP95Critical',
      'ApiLatencyP95Warning',
      'LatencySloBudgetBurnFast',
      'LatencySloBudgetBurnSlow',
      'CacheHitRateLow',
      'CpuUsageHigh',
      'MemoryUsageCritical',
      'MemoryUsageWarning',
      'DiskSpaceLow',
      'DatabaseConnectionsCritical',
      'DatabaseConnectionsWarning',
      'QueueJobsWaitingTooLong',
      'QueueJobsStalled',
      'QueueBacklogGrowing',
      'CostBudgetProjectionExceeded',
    ]);
  });

  it('no traffic: uploads whose clients stall hang in flight; an autoscaler that cannot reach Prometheus; a paused Redis', async () => {
    await traffic?.stop();
    traffic = undefined;
    const stalled = await Promise.all(Array.from({ length: 8 }, () => stallUpload(world.url, world.tokens.student)));
    // Stuck means it ran and then stopped: the rule compares with the last completed run, so one must have been scraped.
    await eventually(
      async () => {
        const query = new URLSearchParams({ query: METRIC.autoscalerLastRun });
        const body = (await (await fetch(`${prometheus.url}/api/v1/query?${query}`)).json()) as { data: { result: unknown[] } };
        return body.data.result.length > 0;
      },
      'an autoscaler run scraped before it is cut off from Prometheus',
      ALERT_DEADLINE_MS,
    );
    await pointAutoscalerAt(operator, 'http://127.0.0.1:1');
    try {
      await expectAll(['ApiRequestsHanging', 'AutoscalerStuck']);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
    world.redis.pause();
    try {
      await expectAlert('ApiNotReady');
    } finally {
      world.redis.resume();
    }
    // The API's Redis breaker closes again within a probe interval or two of the resume.
    await eventually(async () => (await call(world.url, 'GET', '/ready')).status === 200, 'the API to be ready again', ALERT_DEADLINE_MS);
  });

  it('a stopped worker, then a stopped Postgres under traffic with jobs queued on it', async () => {
    uploadWorker.child.kill('SIGSTOP');
    await Promise.all([
      expectAlert('ScrapeTargetDown', { job: 'worker-uploads' }),
      expectAlert('QueueWorkersAbsent', { queue: 'uploads' }),
    ]);
    const png = await sampleImage('png', 32, 32);
    for (let i = 0; i < JOBS; i++) {
      // Just after the Redis pause a 503 ("retry later") is a fair answer while its connections recover: retry it.
      await eventually(
        async () => {
          const form = new FormData();
          form.append('file', new Blob([png], { type: 'image/png' }), `photo-${i}.png`);
          const res = await fetch(`${world.url}/uploads`, {
            method: 'POST',
            headers: { authorization: `Bearer ${world.tokens.student}` },
            body: form,
          });
          if (res.status === 503) return false;
          assert.equal(res.status, 202, await res.text());
          return true;
        },
        `upload ${i} to be accepted`,
        ALERT_DEADLINE_MS,
      );
    }
    world.postgres.stopFast();
    traffic = startTraffic(world.url, staffEmail, world.tokens.staff);
    uploadWorker.child.kill('SIGCONT');
    await expectAll([
      'ApiErrorRateCritical',
      'ApiErrorRateWarning',
      'AvailabilityErrorBudgetBurnFast',
      'AvailabilityErrorBudgetBurnSlow',
      'JobFailureRateCritical',
      'JobFailureRateWarning',
    ]);
  });

  it("the API server refuses the operator's writes", async () => {
    const refusal = await refuseOperatorDeploymentWrites(operator, NAMESPACE);
    try {
      // A platform team's edit the operator must carry to the API Deployment, which it can no longer write.
      await editPlatform(operator, (spec) => {
        const api = spec.api as { resources: Record<string, string> };
        api.resources = { ...api.resources, memory: '640Mi' };
      });
      await expectAlert('OperatorReconcileErrors', { platform_namespace: NAMESPACE });
    } finally {
      await refusal.lift();
    }
  });

  it('another replica takes the leader Lease; then the API and the operator are gone', async () => {
    await traffic?.stop();
    traffic = undefined;
    const rival = holdLeaseAsAnotherReplica(operator);
    try {
      await expectAlert('OperatorNoLeader');
    } finally {
      rival.stop();
    }
    world.api?.child.kill('SIGSTOP');
    await expectAlert('ApiAbsent');
    await stopProcess(operator.child);
    await expectAlert('OperatorAbsent');
  });

  it('every alert but the two with history (baseline-alerts-fire.test.ts) was shown', () => {
    const notDriven = new Set(['ApiLatencyIncrease', 'ThroughputDrop']);
    const all = groups.flatMap((g) => g.rules.filter(isAlertingRule)).map((r) => r.alert);
    assert.deepEqual(
      all.filter((a) => !shown.has(a) && !notDriven.has(a)),
      [],
    );
  });
});

/** Whether Prometheus has scraped at least one report waiting in its queue. */
async function reportsWaitingScraped(prometheusUrl: string): Promise<boolean> {
  const query = new URLSearchParams({ query: `${METRIC.queueJobs}{queue="reports",state="waiting"} > 0` });
  const body = (await (await fetch(`${prometheusUrl}/api/v1/query?${query}`)).json()) as { data: { result: unknown[] } };
  return body.data.result.length > 0;
}

interface Background {
  stop(): Promise<void>;
}

/**
 * Background traffic as users make it, until stopped: three clients each logging in and searching
 * for ever new terms (cache misses). With `token`
 * the searches go on when logins fail (Postgres stopped). Failures are part of the scenarios, so
 * none throws; each request gives up after a minute.
 */
function startTraffic(url: string, email: string, token?: string): Background {
  let running = true;
  const send = (method: string, path: string, body?: unknown, bearer?: string) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).then(
      async (res) => (await res.json().catch(() => undefined)) as { data?: { token?: string } } | undefined,
      () => undefined,
    );
  const loop = async (client: number) => {
    let i = 0;
    while (running) {
      const login = await send('POST', '/auth/login', { email, password: TEST_PASSWORD });
      const bearer = login?.data?.token ?? token;
      for (let n = 0; n < 5 && bearer && running; n++)
        await send('GET', `/students/search?q=c${client}t${++i}x${randomUUID().slice(0, 6)}`, undefined, bearer);
      await send('GET', '/ready');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = [0, 1, 2].map(loop);
  return {
    async stop() {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}

/** GET /ready every second, as a kubelet's readiness probe does (one second deadline), until stopped. */
function startReadinessProbes(url: string): Background {
  let running = true;
  const loop = (async () => {
    while (running) {
      await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** A multipart upload whose client sends the headers and a first part of the body, then nothing. */
async function stallUpload(url: string, token: string): Promise<Socket> {
  const socket = await openSocket(url);
  const boundary = `stall${randomUUID().slice(0, 8)}`;
  const { host } = new URL(url);
  socket.write(
    `POST /uploads HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 4000000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n` +
      '\x89PNG\r\n\x1a\n',
  );
  socket.on('error', () => undefined);
  return socket;
}

/** Edits the PassPlatform's `spec.autoscaling.prometheusUrl`, as a platform team would with kubectl. */
async function pointAutoscalerAt(operator: Awaited<ReturnType<typeof spawnOperator>>, prometheusUrl: string): Promise<void> {
  await editPlatform(operator, (spec) => {
    spec.autoscaling = { ...(spec.autoscaling as Record<string, unknown>), prometheusUrl };
  });
}

/** Reads the PassPlatform, changes its spec and writes it back, as `kubectl edit` would. */
async function editPlatform(
  operator: Awaited<ReturnType<typeof spawnOperator>>,
  change: (spec: Record<string, unknown>) => void,
): Promise<void> {
  const objects = operator.cluster.objects;
  const header = { apiVersion: 'passplatform.io/v1alpha1', kind: 'PassPlatform', metadata: { name: operator.name, namespace: NAMESPACE } };
  const current = (await objects.read(header)) as unknown as { spec: Record<string, unknown> } & typeof header;
  change(current.spec);
  await objects.replace(current as never);
}

/**
 * A ValidatingAdmissionPolicy on the real kube-apiserver that refuses every write of the operator's
 * ServiceAccount to Deployments in `namespace` (as an admission policy or quota of a cluster's own
 * would): each reconcile's apply fails until the policy is lifted.
 */
async function refuseOperatorDeploymentWrites(
  operator: Awaited<ReturnType<typeof spawnOperator>>,
  namespace: string,
): Promise<{ lift(): Promise<void> }> {
  const admission = operator.cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const name = `refuse-operator-writes-${namespace}`;
  const user = `system:serviceaccount:${namespace}:${OPERATOR_NAME}`;
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }],
        },
        validations: [{ expression: `request.userInfo.username != '${user}'`, message: 'the operator may not write Deployments here' }],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
      },
    },
  });
  return {
    async lift() {
      await admission.deleteValidatingAdmissionPolicyBinding({ name });
      await admission.deleteValidatingAdmissionPolicy({ name });
    },
  };
}

/**
 * Another operator replica (not scraped) takes the leader Lease and keeps renewing it, as a
 * replica that lost its metrics endpoint would: the scraped one steps down.
 */
function holdLeaseAsAnotherReplica(operator: Awaited<ReturnType<typeof spawnOperator>>): { stop(): void } {
  const leases = operator.cluster.kubeConfig.makeApiClient(CoordinationV1Api);
  const take = async () => {
    const lease = await leases.readNamespacedLease({ name: 'pass-operator-leader', namespace: NAMESPACE });
    const now = new V1MicroTime(Date.now());
    await leases.replaceNamespacedLease({
      name: 'pass-operator-leader',
      namespace: NAMESPACE,
      body: {
        ...lease,
        spec: { ...lease.spec, holderIdentity: 'pass-operator-rival', leaseDurationSeconds: 3600, renewTime: now, acquireTime: now },
      },
    });
  };
  const timer = setInterval(() => void take().catch(() => undefined), 1_000);
  void take().catch(() => undefined);
  return { stop: () => clearInterval(timer) };
}
