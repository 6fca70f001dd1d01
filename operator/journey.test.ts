/**
 * The platform team's journey, end to end, on a real control plane of its own (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler, kwok; the real CloudNativePG and
 * prometheus-operator CRDs): `helm install` of the chart, the operator running with its own
 * ServiceAccount's token, `kubectl apply` of both examples, every child accepted, pods Running,
 * the platforms Ready, a spec change converging, the operator killed and restarted without touching
 * keys, replicas or pods, and `kubectl delete` leaving nothing behind. Each step is one test, so the
 * log reads as the journey.
 *
 * Two parts of a cluster cannot run here and are played openly: a storage provisioner (PVs bound
 * to the Redis claims) and CloudNativePG's controller (the status it documents for a healthy
 * Cluster). kwok reports the operator's own pods Running; the operator itself runs as a local
 * process with exactly the environment and token that pod would have.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { CHILD_KINDS, collectionPath } from '../cdk8s/child-kinds.js';
import { OPERATOR_NAME } from '../cdk8s/operator-install.js';
import { childNames } from '../cdk8s/platform/names.js';
import { freePort } from '../core/ports.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/control-plane/for-tests.js';
import { binary } from '../testing/control-plane/binaries.js';
import { helmOk, kubectlOk, runCommand } from '../testing/control-plane/kubectl.js';
import { DEADLINE_MS, provisionRedisVolumes, reportDatabaseHealthy } from '../testing/control-plane/platform-controller.js';
import { eventually } from '../testing/eventually.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../platform-api/v1alpha1/index.js';

const ROOT = join(import.meta.dirname, '..');
const OPERATOR_NAMESPACE = 'pass-system';
const PLATFORM = 'campus';
const names = childNames(PLATFORM);
/** Each example in a namespace of its own (both are named `campus`; production.yaml names its namespace). */
const EXAMPLES = { small: 'campus-small', production: 'passplatform' } as const;
const NAMESPACES = Object.values(EXAMPLES);

let cluster: TestControlPlane;
let kubeconfig: string;
let operator: ChildProcess | undefined;
let operatorPort = 0;
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

/** Reconciles the running operator finished per platform namespace, from its /metrics. */
async function reconcilesDone(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${operatorPort}/metrics`)).text();
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

const conditionOf = (platform: PassPlatform, type: string) => platform.status?.conditions?.find((c) => c.type === type);

describe('the platform team journey', { timeout: 1_800_000 }, () => {
  it('helm install charts/pass-operator: the CRD, RBAC and the operator Deployment, running (kwok)', { timeout: 300_000 }, async () => {
    // The harness installs the PassPlatform CRD with the third-party ones; here the chart installs it.
    const harnessCrd = JSON.parse(
      await kubectlOk(kubeconfig, ['get', 'crd', 'passplatforms.passplatform.io', '-o', 'json']),
    ) as KubernetesObject;
    await kubectlOk(kubeconfig, ['delete', 'crd', 'passplatforms.passplatform.io', '--wait=true']);
    const output = await helmOk(kubeconfig, [
      'install',
      'pass-operator',
      join(ROOT, 'charts', 'pass-operator'),
      '--namespace',
      OPERATOR_NAMESPACE,
      '--create-namespace',
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
    await kubectlOk(kubeconfig, [
      'patch',
      'passplatform',
      PLATFORM,
      '-n',
      namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { api: { minReplicas: floor } } }),
    ]);
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
    const env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PATH: [join(ROOT, 'operator', 'kubectl-plugin'), dirname(binary('kubectl')), process.env.PATH].join(':'),
    };
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
