/**
 * The platform team's journey, end to end, on a real control plane of its own (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler, kwok; the real CloudNativePG and
 * prometheus-operator CRDs): `helm install` of the chart, the operator running with its own
 * ServiceAccount's token, `kubectl apply` of both examples, every child accepted, pods Running,
 * the platforms Ready, a spec change converging, the autoscaler's decisions (from a real Prometheus)
 * landing on the API Deployment and the CNPG Cluster, the operator killed and restarted without
 * touching keys, replicas or pods, and `kubectl delete` leaving nothing behind. Each step is one test, so the
 * log reads as the journey.
 *
 * Three parts of a cluster cannot run here and are played openly: a storage provisioner (PVs bound
 * to the Redis claims), CloudNativePG's controller (the status it documents for a healthy
 * Cluster), and the load on the pods (kwok runs no containers): the production platform's
 * Prometheus is a real one scraping what its exporters would publish under load
 * (testing/busy-platform-signals.ts). kwok reports the operator's own pods Running; the operator itself runs as a local
 * process with exactly the environment and token that pod would have.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { CHILD_KINDS, collectionPath } from '../cdk8s/child-kinds.js';
import { METRICS_SCRAPER, OPERATOR_NAME } from '../cdk8s/operator-install.js';
import { childNames } from '../cdk8s/platform/names.js';
import { freePort } from '../core/ports.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/control-plane/for-tests.js';
import { binary } from '../testing/control-plane/binaries.js';
import { helmOk, kubectl, kubectlOk, runCommand } from '../testing/control-plane/kubectl.js';
import { DEADLINE_MS, provisionRedisVolumes, reportDatabaseHealthy } from '../testing/control-plane/platform-controller.js';
import { eventually } from '../testing/eventually.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../platform-api/v1alpha1/index.js';
import { startBusyPlatformSignals, type BusyPlatformSignals } from '../testing/busy-platform-signals.js';
import { cores } from './autoscaler/index.js';
import type { HistoryDocument } from './cost/history-document.js';
import { costHistoryConfigMapName } from './cost/io/configmap-persistence.js';
import { HOUR_MS } from './cost/timeline.js';
import type { CostView } from './kubectl-plugin/views.js';
import { DEFAULT_WINDOW } from './autoscaling/signals/queries.js';

const ROOT = join(import.meta.dirname, '..');
const OPERATOR_NAMESPACE = 'pass-system';
const PLATFORM = 'campus';
const names = childNames(PLATFORM);
/** Each example in a namespace of its own (both are named `campus`; production.yaml names its namespace). */
const EXAMPLES = { small: 'campus-small', production: 'passplatform' } as const;
const NAMESPACES = Object.values(EXAMPLES);
const README = join(ROOT, 'README.md');
/** The README's console block of the plugin's output, captured by this test (CAPTURE_PLUGIN_OUTPUT=1). */
const PLUGIN_TRANSCRIPT =
  /(<!-- kubectl-passplatform:transcript[^>]*-->\n```console\n)([\s\S]*?)(```\n<!-- \/kubectl-passplatform:transcript -->)/;

let cluster: TestControlPlane;
let kubeconfig: string;
let operator: ChildProcess | undefined;
let operatorPort = 0;
/** The production platform's Prometheus, once the journey points autoscaling at it. */
let signals: BusyPlatformSignals | undefined;
const work = mkdtempSync(join(tmpdir(), 'pp-journey-'));
// Kept after the run: the operator's own log, for reading when a step fails.
const operatorLog = join(work, 'operator.log');

before(async () => {
  // Its own control plane: the operator installed by the chart watches every namespace.
  cluster = await startTestControlPlane({ own: true });
  kubeconfig = cluster.plane.kubeconfigPath;
});
after(async () => {
  operator?.kill('SIGKILL');
  await signals?.stop();
  await cluster.stop();
});

const getPlatform = (namespace: string) =>
  cluster.custom.getNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    name: PLATFORM,
  }) as Promise<PassPlatform>;

/** The platform's CloudNativePG Cluster (instances = primary + read replicas). */
const getDatabase = (namespace: string) =>
  cluster.custom.getNamespacedCustomObject({
    group: 'postgresql.cnpg.io',
    version: 'v1',
    namespace,
    plural: 'clusters',
    name: names.database,
  }) as Promise<KubernetesObject & { spec: { instances: number } }>;

/** The operator as its pod runs it: the Deployment's environment, the pod's Downward API values, the ServiceAccount's token. */
async function startOperatorProcess(): Promise<void> {
  const deployment = await cluster.apps.readNamespacedDeployment({ name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE });
  const pod = (await runningPods(OPERATOR_NAMESPACE))[0] as V1Pod;
  const container = deployment.spec?.template.spec?.containers[0];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const variable of container?.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    env[variable.name] =
      field === 'metadata.namespace' ? pod.metadata?.namespace : field === 'metadata.name' ? pod.metadata?.name : variable.value;
  }
  // The pod listens on its own IP; locally the port must not collide with anything else.
  operatorPort = await freePort();
  env.METRICS_PORT = String(operatorPort);
  const token = await cluster.core.createNamespacedServiceAccountToken({
    name: deployment.spec?.template.spec?.serviceAccountName as string,
    namespace: OPERATOR_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 * 2 } },
  });
  env.KUBECONFIG = cluster.plane.writeTokenKubeconfig(
    token.status?.token as string,
    join(work, 'operator.kubeconfig'),
    `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_NAME}`,
  );
  // The image runs `node dist/operator/main.js`; from the checkout the same entry runs through tsx.
  operator = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'operator', 'main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(operatorLog, { flags: 'a' });
  operator.stdout?.pipe(log);
  operator.stderr?.pipe(log);
}

async function operatorReady(): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${operatorPort}/readyz`).catch(() => undefined);
  return response?.status === 200;
}

/**
 * The token Prometheus scrapes the operator with: the chart's ServiceMonitor names the
 * service-account-token Secret of `pass-operator-metrics-scraper` (bound to the metrics-reader
 * ClusterRole), which kube-controller-manager's token controller fills in.
 */
let scraperToken: string | undefined;
async function metricsScraperToken(): Promise<string> {
  scraperToken ??= await waitFor(async () => {
    const secret = await cluster.core.readNamespacedSecret({ name: METRICS_SCRAPER.secret, namespace: OPERATOR_NAMESPACE });
    const token = secret.data?.token;
    return token ? Buffer.from(token, 'base64').toString('utf8') : undefined;
  }, 'the token controller to fill in the metrics scraper token');
  return scraperToken;
}

/** The operator's /metrics as Prometheus scrapes it, with the ServiceMonitor's credentials. */
const scrapeOperator = async () =>
  fetch(`http://127.0.0.1:${operatorPort}/metrics`, { headers: { authorization: `Bearer ${await metricsScraperToken()}` } });

/** Reconciles the running operator finished per platform namespace, from its /metrics. */
async function reconcilesDone(): Promise<Record<string, number>> {
  const response = await scrapeOperator();
  assert.equal(response.status, 200, 'the scraper may read the metrics');
  const text = await response.text();
  const done: Record<string, number> = {};
  for (const match of text.matchAll(/^passplatform_operator_reconcile_total\{([^}]*)\} (\d+)/gm)) {
    const namespace = /platform_namespace="([^"]+)"/.exec(match[1] as string)?.[1] as string;
    done[namespace] = (done[namespace] ?? 0) + Number(match[2]);
  }
  return done;
}

/** The operator's last log messages (message and error only), for a failing wait to show. */
const operatorTail = () => {
  try {
    return readFileSync(operatorLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(-8)
      .map((line) => {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        return `${entry.msg ?? ''} ${entry.err?.message?.split('\n')[0] ?? ''}`;
      })
      .join('\n');
  } catch {
    return '';
  }
};

/** Every child object of the platform in `namespace`, by kind/name, with uid and resourceVersion. */
async function children(namespace: string): Promise<Map<string, KubernetesObject>> {
  const found = new Map<string, KubernetesObject>();
  for (const kind of CHILD_KINDS) {
    const list = JSON.parse(await kubectlOk(kubeconfig, ['get', '--raw', collectionPath(kind, namespace)])) as {
      items: KubernetesObject[];
    };
    for (const item of list.items) {
      if (item.metadata?.ownerReferences?.some((o) => o.kind === 'PassPlatform')) found.set(`${kind.kind}/${item.metadata?.name}`, item);
    }
  }
  return found;
}

async function runningPods(namespace: string): Promise<V1Pod[]> {
  const pods = await cluster.core.listNamespacedPod({ namespace });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded');
}

/** eventually(), and on a miss the operator's last words with the error. */
async function waitFor<T>(check: () => Promise<T | undefined | null | false>, what: string, deadlineMs = DEADLINE_MS): Promise<T> {
  try {
    return await eventually(check, what, deadlineMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the operator logged:\n${operatorTail()}`, { cause: error });
  }
}

/** `kubectl patch` of the platform's spec, as a platform team changes it. */
const kubectlPatchSpec = (namespace: string, spec: Record<string, unknown>) =>
  kubectlOk(kubeconfig, ['patch', 'passplatform', PLATFORM, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec })]);

/** kubectl and the plugin on the PATH, as a platform team installs it. */
const pluginEnv = () => ({
  ...process.env,
  KUBECONFIG: kubeconfig,
  PATH: [join(ROOT, 'operator', 'kubectl-plugin'), dirname(binary('kubectl')), process.env.PATH].join(':'),
});

const conditionOf = (platform: PassPlatform, type: string) => platform.status?.conditions?.find((c) => c.type === type);

describe('the platform team journey', { timeout: 1_800_000 }, () => {
  it('helm install charts/pass-operator: the CRD, RBAC and the operator Deployment, running (kwok)', { timeout: 300_000 }, async () => {
    // The harness installs the PassPlatform CRD with the third-party ones; here the chart installs it.
    const harnessCrd = JSON.parse(
      await kubectlOk(kubeconfig, ['get', 'crd', 'passplatforms.passplatform.io', '-o', 'json']),
    ) as KubernetesObject;
    // Deleted while its storage still starts, kube-apiserver's CRD finalizer fails to list the
    // instances ("storage is (re)initializing") and retries only minutes later (CI: 5 minutes, past
    // this test's deadline). A list at resourceVersion=0 is served from that storage's cache and
    // answers 429 until it is ready.
    await eventually(
      async () => (await kubectl(kubeconfig, ['get', '--raw', `/apis/${API_GROUP}/${API_VERSION}/${PLURAL}?resourceVersion=0`])).code === 0,
      'the PassPlatform storage ready to list',
      60_000,
    );
    await kubectlOk(kubeconfig, ['delete', 'crd', 'passplatforms.passplatform.io', '--wait=true']);
    const output = await helmOk(kubeconfig, [
      'install',
      'pass-operator',
      join(ROOT, 'charts', 'pass-operator'),
      '--namespace',
      OPERATOR_NAMESPACE,
      '--create-namespace',
      // The operator's ServiceMonitor and the ServiceAccount it scrapes as (the prometheus-operator CRDs are installed).
      '--set',
      'serviceMonitor.enabled=true',
      '--wait',
      '--timeout',
      '4m',
    ]);
    assert.match(output, /STATUS: deployed/);
    const crd = JSON.parse(await kubectlOk(kubeconfig, ['get', 'crd', 'passplatforms.passplatform.io', '-o', 'json'])) as KubernetesObject;
    assert.notEqual(crd.metadata?.uid, harnessCrd.metadata?.uid, 'the chart installed the CRD');
    const deployment = await cluster.apps.readNamespacedDeployment({ name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE });
    await waitFor(
      async () => {
        const d = await cluster.apps.readNamespacedDeployment({ name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE });
        return d.status?.readyReplicas === deployment.spec?.replicas;
      },
      'the operator Deployment ready',
      DEADLINE_MS,
    );
    const pods = await runningPods(OPERATOR_NAMESPACE);
    assert.equal(pods.length, deployment.spec?.replicas);
    assert.ok(pods.every((p) => p.status?.phase === 'Running'));
  });

  it('the operator runs as its pod would, with the chart ServiceAccount token, and leads', { timeout: 300_000 }, async () => {
    await startOperatorProcess();
    await waitFor(operatorReady, `the operator ready (leader, caches listed)`, DEADLINE_MS);
    const whoAmI = JSON.parse(await kubectlOk(join(work, 'operator.kubeconfig'), ['auth', 'whoami', '-o', 'json'])) as {
      status: { userInfo: { username: string } };
    };
    assert.equal(whoAmI.status.userInfo.username, `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_NAME}`);
    // Its metrics for the ServiceMonitor's ServiceAccount only (TokenReview + SubjectAccessReview).
    assert.equal((await fetch(`http://127.0.0.1:${operatorPort}/metrics`)).status, 401);
    const scraped = await scrapeOperator();
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^passplatform_operator_is_leader\{[^}]*\} [01]$/m);
  });

  it('kubectl apply of examples/small.yaml and examples/production.yaml', { timeout: 120_000 }, async () => {
    for (const [example, namespace] of Object.entries(EXAMPLES)) {
      await kubectlOk(kubeconfig, ['create', 'namespace', namespace]);
      const output = await kubectlOk(kubeconfig, ['apply', '-n', namespace, '-f', join(ROOT, 'examples', `${example}.yaml`)]);
      assert.match(output, /passplatform.passplatform.io\/campus created/);
    }
  });

  it(
    'every child is accepted, by kube-apiserver and by the real CloudNativePG and prometheus-operator CRDs',
    { timeout: 600_000 },
    async () => {
      for (const namespace of NAMESPACES) {
        await waitFor(
          async () => {
            const found = await children(namespace);
            return ['Cluster', 'Pooler', 'PrometheusRule', 'ServiceMonitor', 'PodMonitor', 'StatefulSet', 'Deployment', 'Secret'].every(
              (kind) => [...found.keys()].some((key) => key.startsWith(`${kind}/`)),
            );
          },
          `the children of ${namespace}`,
          DEADLINE_MS * 2,
        );
        const events = await cluster.core.listNamespacedEvent({ namespace });
        assert.deepEqual(
          events.items.filter((e) => e.reason === 'ApplyFailed').map((e) => e.message),
          [],
        );
      }
      const production = load(readFileSync(join(ROOT, 'examples', 'production.yaml'), 'utf8')) as PassPlatform;
      assert.ok(production.spec.database.managed?.backup, 'the production example backs up');
      const backups = await children(EXAMPLES.production);
      assert.ok(
        [...backups.keys()].some((k) => k.startsWith('ScheduledBackup/')),
        'its ScheduledBackup accepted',
      );
    },
  );

  it('pods Running (kube-scheduler, kwok); the test provisions the Redis volumes openly', { timeout: 600_000 }, async () => {
    for (const namespace of NAMESPACES) {
      // No storage provisioner runs here: the test creates the PVs the Redis claims bind to.
      await provisionRedisVolumes(cluster, namespace, PLATFORM);
      await waitFor(
        async () => {
          const pods = await runningPods(namespace);
          const redis = await cluster.apps.readNamespacedStatefulSet({ name: names.redis, namespace });
          const api = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
          return (
            pods.length > 0 &&
            pods.every((p) => p.status?.phase === 'Running') &&
            redis.status?.readyReplicas === redis.spec?.replicas &&
            api.status?.readyReplicas === api.spec?.replicas
          );
        },
        `every pod of ${namespace} Running`,
        DEADLINE_MS * 2,
      );
    }
  });

  it('PassPlatform Ready, once the test (playing CloudNativePG) reports the database healthy', { timeout: 600_000 }, async () => {
    for (const namespace of NAMESPACES) {
      // CloudNativePG's controller cannot run here: the test writes the status it documents for a healthy Cluster.
      await reportDatabaseHealthy(cluster, namespace, PLATFORM);
      await waitFor(
        async () => conditionOf(await getPlatform(namespace), 'Ready')?.status === 'True',
        `${namespace} Ready`,
        DEADLINE_MS * 2,
      );
    }
    const table = await kubectlOk(kubeconfig, ['get', 'passplatforms', '--all-namespaces']);
    assert.equal(
      table
        .trim()
        .split('\n')
        .filter((line) => /\bReady\s+True\b/.test(line)).length,
      2,
      table,
    );
  });

  it('a spec change converges: kubectl patch of the small platform raises its API floor', { timeout: 600_000 }, async () => {
    const namespace = EXAMPLES.small;
    const before = await getPlatform(namespace);
    const floor = before.spec.api.minReplicas + 1;
    await kubectlPatchSpec(namespace, { api: { minReplicas: floor } });
    await waitFor(
      async () => {
        const platform = await getPlatform(namespace);
        const api = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
        return (
          platform.status?.observedGeneration === platform.metadata.generation &&
          conditionOf(platform, 'Ready')?.status === 'True' &&
          (api.spec?.replicas ?? 0) >= floor &&
          api.status?.readyReplicas === api.spec?.replicas
        );
      },
      'the new API floor applied and ready',
      DEADLINE_MS * 2,
    );
  });

  it(
    "the autoscaler's decision lands on the Deployment and the CNPG instances, from a real Prometheus reading a busy platform",
    { timeout: 600_000 },
    async (t) => {
      const namespace = EXAMPLES.production;
      // Every API pod kwok runs busy (95 % of its core, 80 logins/s), the two read replicas at 80 % of
      // theirs: what the platform's exporters would publish, scraped by a real Prometheus. Steady
      // load, so once the autoscaler has sized for it nothing moves again (the restart step relies on it).
      const apiPods = (await runningPods(namespace)).map((p) => p.metadata?.name as string).filter((n) => n.startsWith(`${names.api}-`));
      const { spec } = await getPlatform(namespace);
      const apiCores = cores(spec.api.resources.cpu);
      const replicaCores = cores(spec.database.managed?.resources.cpu ?? '0');
      signals = await startBusyPlatformSignals({
        namespace,
        api: apiPods.map((pod) => ({ pod, requestsPerSecond: 80, latencySeconds: 0.03, slaClass: 'auth', cores: apiCores * 0.95 })),
        database: [1, 2, 3].map((n) => ({ pod: `${names.database}-${n}`, replica: n > 1, cores: n > 1 ? replicaCores * 0.8 : 1 })),
      });
      // The operator's rate() window (the chart may set it), full before the operator reads it.
      const operatorEnv = (await cluster.apps.readNamespacedDeployment({ name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE })).spec
        ?.template.spec?.containers[0]?.env;
      await signals.windowFilled(operatorEnv?.find((e) => e.name === 'SIGNAL_WINDOW')?.value ?? DEFAULT_WINDOW, DEADLINE_MS * 2);
      const pointedAt = new Date().toISOString();
      // The platform team points autoscaling at its Prometheus (the example names an in-cluster one).
      await kubectlPatchSpec(namespace, { autoscaling: { prometheusUrl: signals.prometheus.url } });
      // The newest scale-up per component taken since, read back from what the operator wrote in
      // status; the reconcile applies the children before it writes status, so they already have it.
      const landed = await waitFor(
        async () => {
          const platform = await getPlatform(namespace);
          const newest = (component: string) =>
            platform.status?.decisions?.findLast((d) => d.component === component && d.time >= pointedAt && d.to > d.from);
          const api = newest('api');
          const postgres = newest('postgres-replicas');
          if (!api || !postgres) return undefined;
          const deployment = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
          const database = await getDatabase(namespace);
          return deployment.spec?.replicas === api.to &&
            database.spec.instances === 1 + postgres.to &&
            platform.status?.replicas?.api === api.to
            ? { api, postgres }
            : undefined;
        },
        'scale-up decisions for the API and the read replicas, applied to the Deployment and the CNPG Cluster',
        DEADLINE_MS * 2,
      );
      assert.ok(landed.api.to > apiPods.length, `API ${landed.api.from} → ${landed.api.to} (${apiPods.length} pods were busy)`);
      assert.match(landed.api.reason, /api: [\d.]+ req\/s/);
      assert.ok((landed.api.signals.requestRate ?? 0) > 0, 'the API decision used a measured request rate');
      assert.match(landed.postgres.reason, /cores of reads/);
      const events = await cluster.core.listNamespacedEvent({ namespace });
      const scaled = events.items.filter((e) => e.reason === 'Scaled').map((e) => e.message ?? '');
      for (const decision of [landed.api, landed.postgres])
        assert.ok(
          scaled.some((m) => m.startsWith(`${decision.component} ${decision.from} → ${decision.to}:`)),
          `a Scaled event for ${decision.component}: ${scaled.join(' | ')}`,
        );
      // The new pods run (kwok); the test, playing CloudNativePG, reports the new instance ready.
      await reportDatabaseHealthy(cluster, namespace, PLATFORM);
      await waitFor(
        async () => {
          const deployment = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace });
          return (
            deployment.status?.readyReplicas === landed.api.to && conditionOf(await getPlatform(namespace), 'Ready')?.status === 'True'
          );
        },
        `${landed.api.to} API pods ready and ${namespace} Ready again`,
        DEADLINE_MS * 2,
      );
      t.diagnostic(`API ${landed.api.from} → ${landed.api.to}: ${landed.api.reason}`);
      t.diagnostic(`CNPG instances ${1 + landed.postgres.from} → ${1 + landed.postgres.to}: ${landed.postgres.reason}`);
    },
  );

  it('the operator is killed (SIGKILL) and restarted: keys Secret, replica counts and pods untouched', { timeout: 600_000 }, async () => {
    const snapshot = async () => {
      const state: Record<string, unknown> = {};
      for (const namespace of NAMESPACES) {
        const found = await children(namespace);
        const keys = found.get(`Secret/${names.keys}`);
        state[namespace] = {
          keys: `${keys?.metadata?.uid}@${keys?.metadata?.resourceVersion}`,
          replicas: Object.fromEntries(
            [...found.entries()]
              .filter(([key]) => /^(Deployment|StatefulSet|Cluster)\//.test(key))
              .map(([key, o]) => [
                key,
                `${(o as { spec?: { replicas?: number; instances?: number } }).spec?.replicas ?? (o as { spec?: { instances?: number } }).spec?.instances}@gen${o.metadata?.generation}`,
              ]),
          ),
          pods: (await runningPods(namespace)).map((p) => `${p.metadata?.name}/${p.metadata?.uid}`).sort(),
        };
      }
      return state;
    };
    const before = await snapshot();
    operator?.kill('SIGKILL');
    await new Promise((resolve) => operator?.once('exit', resolve));
    await startOperatorProcess();
    // The killed operator never released its Lease: the new one leads once it expires.
    await waitFor(operatorReady, 'the restarted operator ready', DEADLINE_MS * 2);
    await waitFor(
      async () => {
        const done = await reconcilesDone();
        return NAMESPACES.every((namespace) => (done[namespace] ?? 0) >= 1);
      },
      'the restarted operator reconciled both platforms',
      DEADLINE_MS,
    );
    assert.deepEqual(await snapshot(), before);
  });

  it('kubectl passplatform (the plugin, found by kubectl on the PATH) shows status and decisions', { timeout: 300_000 }, async () => {
    const env = pluginEnv();
    const plugins = await runCommand('kubectl', ['plugin', 'list'], { env });
    assert.match(plugins.stdout, /kubectl-passplatform/);
    const status = await runCommand('kubectl', ['passplatform', 'status', PLATFORM, '-n', EXAMPLES.small], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^PassPlatform ${EXAMPLES.small}/${PLATFORM}: Ready, SLA`));
    const json = await runCommand('kubectl', ['passplatform', 'status', PLATFORM, '-n', EXAMPLES.small, '-o', 'json'], { env });
    const view = JSON.parse(json.stdout) as {
      phase: string;
      components: { component: string; desired: number | null; ready: number | null }[];
    };
    const api = await cluster.apps.readNamespacedDeployment({ name: names.api, namespace: EXAMPLES.small });
    assert.equal(view.phase, 'Ready');
    assert.deepEqual(
      view.components.find((c) => c.component === 'api'),
      { component: 'api', desired: api.spec?.replicas, ready: api.status?.readyReplicas },
    );
    const decisions = await runCommand('kubectl', ['passplatform', 'decisions', PLATFORM, '-n', EXAMPLES.production], { env });
    assert.equal(decisions.code, 0, decisions.stderr);
    assert.match(decisions.stdout, new RegExp(`^PassPlatform ${EXAMPLES.production}/${PLATFORM}`));
    const missing = await runCommand('kubectl', ['passplatform', 'status', 'nowhere', '-n', EXAMPLES.small], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /HTTP 404/);
    const noCost = await runCommand('kubectl', ['passplatform', 'cost', 'nowhere', '-n', EXAMPLES.small], { env });
    assert.equal(noCost.code, 1);
    assert.match(noCost.stderr, /HTTP 404: PassPlatform campus-small\/nowhere not found/);
  });

  it(
    'kubectl passplatform cost: the month so far, from the cost history the operator keeps in a ConfigMap',
    { timeout: 300_000 },
    async () => {
      const namespace = EXAMPLES.production;
      const env = pluginEnv();
      const history = async () => {
        const configMap = await cluster.core.readNamespacedConfigMap({ name: costHistoryConfigMapName(PLATFORM), namespace });
        assert.ok(
          configMap.metadata?.ownerReferences?.some((o) => o.kind === 'PassPlatform'),
          'the history goes with the platform',
        );
        return {
          version: configMap.metadata?.resourceVersion,
          doc: JSON.parse(configMap.data?.['history.json'] ?? '{}') as HistoryDocument,
        };
      };
      // The API's replica-hours by hand from the ConfigMap's timeline (raw changes: the history is
      // younger than an hour, so nothing is compacted), up to `at`.
      const apiReplicaHours = (doc: HistoryDocument, at: number) => {
        const entries = doc.components.api ?? [];
        return entries.reduce(
          (sum, [from, replicas], i) => sum + (replicas * (Math.min(entries[i + 1]?.[0] ?? at, at) - from)) / HOUR_MS,
          0,
        );
      };
      const { view, text, doc, before, after } = await waitFor(
        async () => {
          const first = await history();
          const before = Date.now();
          const json = await runCommand('kubectl', ['passplatform', 'cost', PLATFORM, '-n', namespace, '-o', 'json'], { env });
          const textRun = await runCommand('kubectl', ['passplatform', 'cost', PLATFORM, '-n', namespace], { env });
          const after = Date.now();
          assert.equal(json.code, 0, json.stderr);
          assert.equal(textRun.code, 0, textRun.stderr);
          // Read again: only a history the operator did not rewrite meanwhile is the one the plugin read.
          const second = await history();
          return first.version === second.version
            ? { view: JSON.parse(json.stdout) as CostView, text: textRun.stdout, doc: second.doc, before, after }
            : undefined;
        },
        'a cost report over an unchanged history',
        DEADLINE_MS,
      );
      const entries = doc.components.api ?? [];
      assert.ok(
        entries.length >= 2 && entries.every((e) => e.length === 2),
        `the API's raw changes, the autoscaler's among them: ${JSON.stringify(entries)}`,
      );
      const floor = (await getPlatform(namespace)).spec.api.minReplicas;
      assert.ok(
        entries.some(([, replicas]) => replicas > floor),
        'the autoscaled count is in the history',
      );
      const api = view.lines.find((l) => l.component === 'api');
      assert.ok(api, JSON.stringify(view.lines));
      const slack = 0.01;
      assert.ok(
        api.replicaHours >= apiReplicaHours(doc, before) - slack && api.replicaHours <= apiReplicaHours(doc, after) + slack,
        `API replica-hours ${api.replicaHours} between ${apiReplicaHours(doc, before)} and ${apiReplicaHours(doc, after)}`,
      );
      assert.equal(view.month, new Date(before).toISOString().slice(0, 7));
      assert.equal(view.currency, 'USD');
      assert.ok(api.cost > 0 && view.monthToDate >= api.cost, `month to date ${view.monthToDate} includes the API's ${api.cost}`);
      const money = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      assert.match(text, new RegExp(`^PassPlatform ${namespace}/${PLATFORM}: cost for ${view.month}\n`));
      assert.match(text, new RegExp(`of a ${money(view.monthlyBudget ?? NaN)} USD budget`));
      const row = /\napi +[\d.,]+ USD +([\d.]+)\n/.exec(text);
      assert.ok(row && Math.abs(Number(row[1]) - api.replicaHours) <= 0.1, `the API row of\n${text}`);
    },
  );

  it("the README's kubectl plugin transcript is this plugin's output on this control plane", { timeout: 300_000 }, async () => {
    const env = pluginEnv();
    const namespace = EXAMPLES.production;
    let transcript = '';
    for (const command of ['status', 'decisions', 'cost']) {
      const args = ['passplatform', command, PLATFORM, '-n', namespace];
      const run = await runCommand('kubectl', args, { env });
      assert.equal(run.code, 0, run.stderr);
      transcript += `${transcript ? '\n' : ''}$ kubectl ${args.join(' ')}\n${run.stdout}`;
    }
    const readme = readFileSync(README, 'utf8');
    const block = PLUGIN_TRANSCRIPT.exec(readme);
    assert.ok(block, 'README.md has the plugin transcript block');
    if (process.env.CAPTURE_PLUGIN_OUTPUT) {
      writeFileSync(README, readme.replace(PLUGIN_TRANSCRIPT, `$1${transcript}$3`));
      return;
    }
    // Times, figures and the number of decisions differ from run to run; the commands, the
    // headings and the columns must not (CAPTURE_PLUGIN_OUTPUT=1 rewrites the block from this run).
    const shape = (text: string) => text.split('\n').filter((line) => /^\$ kubectl|^[A-Z-]+( {2,}[A-Z-]+)+ *$/.test(line));
    assert.deepEqual(shape(block[2] ?? ''), shape(transcript), `the README's transcript is stale; this run printed:\n${transcript}`);
  });

  it('kubectl delete: nothing is left behind', { timeout: 600_000 }, async () => {
    for (const namespace of NAMESPACES)
      await kubectlOk(kubeconfig, ['delete', 'passplatform', PLATFORM, '-n', namespace, '--wait=true', '--timeout=5m']);
    for (const namespace of NAMESPACES) {
      await waitFor(
        async () => {
          const left = await children(namespace);
          const pods = await runningPods(namespace);
          const claims = await cluster.core.listNamespacedPersistentVolumeClaim({ namespace });
          return left.size === 0 && pods.length === 0 && claims.items.length === 0;
        },
        `nothing left in ${namespace}`,
        DEADLINE_MS * 2,
      );
      const configMaps = await cluster.core.listNamespacedConfigMap({ namespace });
      assert.deepEqual(
        configMaps.items.map((c) => c.metadata?.name),
        ['kube-root-ca.crt'],
      );
      const secrets = await cluster.core.listNamespacedSecret({ namespace });
      assert.deepEqual(
        secrets.items.map((s) => s.metadata?.name),
        [],
      );
    }
  });
});
