/**
 * The pod contract: the operator's pods, as cdk8s renders them for `examples/production.yaml` and
 * `examples/small.yaml`, started from the image's runtime tree exactly as the kubelet would start
 * them. Each container (the api and both workers with their `migrate` init containers, and the
 * operator of the install manifests) runs its command and args with its environment resolved
 * against what the operator creates (the platform's keys Secret and settings ConfigMap) and what
 * CloudNativePG creates (the `<cluster>-app` Secret, played openly below with a real role and
 * database on a Postgres that checks passwords), against a Redis Cluster that requires the
 * platform's Redis password; as an unprivileged user, PID 1 of its own PID namespace, with a
 * read-only root and only the pod's volumes writable (testing/container-sandbox.ts).
 *
 * Required: every probe the manifest declares answers on its path and port, metrics answer on the
 * port and path the ServiceMonitor scrapes, with its bearer token only; an upload made through the
 * API pod is made ready by the uploads worker pod, the two sharing only what the pods share; every
 * container exits 0 on SIGTERM.
 *
 * What is mapped, openly: cluster addresses to loopback ones (the table in `clusterAddresses`),
 * and each container's declared ports to free host ports (pods here share one loopback).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { KubernetesObject } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import knexFactory, { type Knex } from 'knex';
import { App } from 'cdk8s';
import { hashPassword } from '../../api/auth/passwords.js';
import { DEFAULT_INSTALL_VALUES, OperatorInstall } from '../../cdk8s/operator-install.js';
import { childNames } from '../../cdk8s/platform/names.js';
import { WORKER_QUEUES } from '../../platform-api/v1alpha1/index.js';
import { emptyDir } from '../../testing/container-sandbox.js';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { operatorKubeConfig, readerToken } from '../../testing/control-plane/operator-identity.js';
import { eventually } from '../../testing/eventually.js';
import { EXAMPLES_DIR, renderExample, type RenderedPlatform } from '../../testing/platform-children.js';
import { startPodContainer, type PodContainer } from '../../testing/pod-container.js';
import { namespaceObjects, type Container, type HttpProbe, type NamespaceObjects, type PodSpec } from '../../testing/pod-environment.js';
import { startOwnPostgres, type OwnPostgres } from '../../testing/postgres-server.js';
import { startRedisCluster, type RedisCluster } from '../../testing/redis-cluster.js';
import { startSeaweedFs, type SeaweedFs } from '../../testing/seaweedfs.js';
import { samplePdf } from '../../testing/worker-process.js';
import { assembleRuntimeTree } from '../../testing/runtime-tree.js';

type Deployment = KubernetesObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
type Service = KubernetesObject & { spec: { selector?: Record<string, string>; ports: { name?: string; targetPort?: string | number }[] } };
interface MonitorEndpoint {
  port: string;
  path: string;
  authorization?: { credentials: { name: string; key: string } };
}

const EXAMPLES = ['production.yaml', 'small.yaml'];

/** The spec as the example file writes it (the API server defaults the rest). */
function exampleSpec(file: string): Record<string, unknown> {
  return (load(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as { spec: Record<string, unknown> }).spec;
}
const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
/** CloudNativePG's application database and owner (its initdb defaults). */
const APP_DATABASE = 'app';

let tree: string;
let plane: TestControlPlane;

before(async () => {
  tree = assembleRuntimeTree();
  plane = await startTestControlPlane();
});

after(async () => {
  await plane?.stop();
  if (tree) rmSync(tree, { recursive: true, force: true });
});

/** GET status, or undefined while nothing answers. */
async function status(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  return fetch(url, { headers, signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    () => undefined,
  );
}

function deployment(children: KubernetesObject[], name: string): Deployment {
  const found = children.find((c) => c.kind === 'Deployment' && c.metadata?.name === name);
  if (!found) throw new Error(`no Deployment ${name} among the children`);
  return found as Deployment;
}

/** A pod of a Deployment: its spec, its identity, and a fresh directory for each of its emptyDir volumes. */
function podOf(object: Deployment, namespace: string) {
  const spec = object.spec.template.spec;
  const volumes = new Map((spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => [v.name, emptyDir(`pp-${v.name}-`)]));
  return {
    spec,
    labels: object.spec.template.metadata.labels,
    identity: { name: `${object.metadata?.name}-5d8f7c9b4-x2k7q`, namespace },
    volumes,
    app: spec.containers[0] as Container,
    migrate: spec.initContainers?.[0] as Container,
  };
}

/** Requires every probe the container declares to answer 200 on its path and (mapped) port. */
async function requireProbes(container: Container, started: PodContainer): Promise<void> {
  for (const kind of PROBES) {
    const probe: HttpProbe | undefined = container[kind];
    assert.ok(probe?.httpGet, `${container.name} declares an HTTP ${kind}`);
    const url = `http://127.0.0.1:${started.hostPort(probe.httpGet.port)}${probe.httpGet.path}`;
    await eventually(async () => (await status(url)) === 200, `${kind} ${url} of ${started.env.HOSTNAME}\n${started.output()}`, 180_000);
  }
}

/** The ServiceMonitor endpoint that scrapes a pod: a Service selecting it names the port. */
function scrapeOf(children: KubernetesObject[], labels: Record<string, string>, container: Container) {
  const monitor = children.find((c) => c.kind === 'ServiceMonitor') as
    (KubernetesObject & { spec: { endpoints: MonitorEndpoint[] } }) | undefined;
  assert.ok(monitor, 'the platform has a ServiceMonitor');
  const services = (children.filter((c) => c.kind === 'Service') as Service[]).filter((s) =>
    Object.entries(s.spec.selector ?? {}).every(([k, v]) => labels[k] === v),
  );
  for (const endpoint of monitor.spec.endpoints) {
    for (const service of services) {
      const port = service.spec.ports.find((p) => p.name === endpoint.port);
      if (port?.targetPort !== undefined) return { endpoint, containerPort: port.targetPort, container };
    }
  }
  throw new Error(`no ServiceMonitor endpoint scrapes the pod labelled ${JSON.stringify(labels)}`);
}

async function requireMetrics(
  children: KubernetesObject[],
  pod: ReturnType<typeof podOf>,
  started: PodContainer,
  objects: NamespaceObjects,
): Promise<void> {
  const { endpoint, containerPort } = scrapeOf(children, pod.labels, pod.app);
  const url = `http://127.0.0.1:${started.hostPort(containerPort)}${endpoint.path}`;
  const credentials = endpoint.authorization?.credentials;
  assert.ok(credentials, 'Prometheus scrapes with a bearer token');
  const token = objects.secrets.get(credentials.name)?.[credentials.key];
  assert.ok(token, `the token Secret ${credentials.name}/${credentials.key} exists`);
  assert.equal(await status(url), 401, `${url} without the token`);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${url} with the token`);
  assert.match(await res.text(), /^# (HELP|TYPE) /m);
}

for (const example of EXAMPLES) {
  describe(`the pods of examples/${example}`, { timeout: 1_200_000 }, () => {
    let rendered: RenderedPlatform;
    let postgres: OwnPostgres;
    let redis: RedisCluster;
    let objects: NamespaceObjects;
    let s3: SeaweedFs;
    let superuser: Knex;
    let addresses: Record<string, string>;
    let clusterHost: RegExp;
    let pods: ReturnType<typeof podOf>[];
    const started = new Map<string, PodContainer>();

    before(async () => {
      rendered = renderExample(example);
      const { name, namespace = 'default' } = rendered.platform.metadata;
      const names = childNames(name);
      const keys = namespaceObjects(rendered.children).secrets.get(names.keys);
      assert.ok(keys?.REDIS_PASSWORD, 'the operator generates a Redis password');

      // CloudNativePG's initdb: the `app` database owned by the `app` role, its password in `<cluster>-app`.
      postgres = await startOwnPostgres({ passwordAuth: true });
      const appPassword = randomBytes(24).toString('base64url');
      superuser = knexFactory({ client: 'pg', connection: postgres.url('postgres'), pool: { min: 0, max: 1 } });
      await superuser.raw(`create role ${APP_DATABASE} login password '${appPassword}'`);
      await superuser.raw(`create database ${APP_DATABASE} owner ${APP_DATABASE}`);
      await superuser.destroy();
      superuser = knexFactory({ client: 'pg', connection: postgres.url(APP_DATABASE), pool: { min: 0, max: 2 } });
      const cnpgAppSecret = {
        kind: 'Secret',
        metadata: { name: names.databaseAppSecret, namespace },
        stringData: {
          username: APP_DATABASE,
          password: appPassword,
          dbname: APP_DATABASE,
          host: names.databaseRw,
          port: '5432',
          uri: `postgresql://${APP_DATABASE}:${appPassword}@${names.databaseRw}.${namespace}:5432/${APP_DATABASE}`,
        },
      };
      // The platform team's bucket: a real S3 server (SeaweedFS) with the Secret the spec names.
      const storage = rendered.platform.spec.objectStorage;
      assert.ok(storage?.endpoint && storage.credentialsSecretName, 'the example names an S3-compatible endpoint and its Secret');
      s3 = await startSeaweedFs({ bucket: storage.bucket });
      const objectStoreSecret = {
        kind: 'Secret',
        metadata: { name: storage.credentialsSecretName, namespace },
        stringData: { ACCESS_KEY_ID: s3.accessKeyId, ACCESS_SECRET_KEY: s3.secretAccessKey },
      };
      objects = namespaceObjects([...rendered.children, cnpgAppSecret, objectStoreSecret]);

      redis = await startRedisCluster(3, { password: keys.REDIS_PASSWORD });
      const pg = `127.0.0.1:${postgres.port}`;
      // The cluster's Services, as the pods' values name them → where they are here.
      addresses = {
        [`${names.databasePooler('ro')}.${namespace}.svc:5432`]: pg,
        [`${names.databasePooler('rw')}:5432`]: pg,
        [`${names.databaseRw}:5432`]: pg,
        [`${names.redis}.${namespace}.svc:6379`]: redis.nodes[0] as string,
        [storage.endpoint.replace(/^https?:\/\//, '')]: s3.endpoint.replace(/^https?:\/\//, ''),
      };
      clusterHost = new RegExp(`\\.svc\\b|\\b${name}-[a-z0-9-]+:\\d+`);
      pods = [names.api, names.worker('uploads'), names.worker('reports')].map((d) => podOf(deployment(rendered.children, d), namespace));
    });

    after(async () => {
      for (const container of started.values())
        if (container.child.exitCode === null) await container.signal('SIGKILL').catch(() => undefined);
      await Promise.all([...started.values()].map((c) => c.exited));
      await superuser?.destroy();
      await redis?.stop();
      await s3?.stop();
      postgres?.remove();
      for (const pod of pods ?? []) for (const dir of pod.volumes.values()) rmSync(dir, { recursive: true, force: true });
    });

    const start = (pod: ReturnType<typeof podOf>, container: Container) =>
      startPodContainer({
        tree,
        pod: pod.identity,
        container,
        objects,
        addresses,
        clusterHost,
        volumes: pod.volumes,
        kubernetesService: { host: '10.96.0.1', port: 443 },
      });

    it('runs the migrate init container of every app pod at once: each exits 0, the schema is there', async () => {
      const runs = await Promise.all(pods.map((pod) => start(pod, pod.migrate)));
      for (const run of runs) assert.equal(await run.exited, 0, run.output());
      const applied = await superuser('knex_migrations').count<{ count: number }[]>('* as count');
      assert.ok(Number(applied[0]?.count) > 0, 'migrations recorded');
    });

    it('starts the api and both workers: every declared probe answers, metrics answer Prometheus’s token only', async () => {
      for (const pod of pods) started.set(pod.identity.name, await start(pod, pod.app));
      for (const pod of pods) {
        const container = started.get(pod.identity.name) as PodContainer;
        await requireProbes(pod.app, container);
        await requireMetrics(rendered.children, pod, container, objects);
      }
    });

    it('runs each worker pod’s queue with the concurrency the spec sets', () => {
      for (const queue of WORKER_QUEUES) {
        const pod = pods.find((p) => p.identity.name.startsWith(childNames(rendered.platform.metadata.name).worker(queue)));
        const output = started.get(pod?.identity.name ?? '')?.output() ?? '';
        const ready = output.split('\n').find((line) => line.includes('"workers ready"'));
        assert.ok(ready, `the ${queue} worker logged that it is ready`);
        const logged = JSON.parse(ready) as { queues: string[]; concurrency: Record<string, number> };
        assert.deepEqual(logged.queues, [queue]);
        assert.equal(logged.concurrency[queue], rendered.platform.spec.workers[queue].concurrency, `${queue} concurrency`);
      }
    });

    it('an upload made through the api pod is made ready by the uploads worker pod, through the bucket', async () => {
      const [apiPod] = pods;
      assert.ok(apiPod);
      const api = `http://127.0.0.1:${(started.get(apiPod.identity.name) as PodContainer).hostPort('http')}`;
      const email = `contract-${randomBytes(4).toString('hex')}@university.edu`;
      const password = randomBytes(18).toString('base64url');
      await superuser('users').insert({ email, password_hash: await hashPassword(password), role: 'student', display_name: 'Contract' });
      const login = await fetch(`${api}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      const { token } = ((await login.json()) as { data: { token: string } }).data;
      const form = new FormData();
      form.append('file', new Blob([samplePdf(4096)], { type: 'application/pdf' }), 'contract.pdf');
      const upload = await fetch(`${api}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      assert.equal(upload.status, 202, `${await upload.clone().text()}\n${(started.get(apiPod.identity.name) as PodContainer).output()}`);
      const { id } = ((await upload.json()) as { data: { id: string } }).data;
      const outcome = await eventually(
        async () => {
          const res = await fetch(`${api}/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as { data: { status: string; reason?: string } };
          return ['ready', 'rejected', 'failed'].includes(body.data.status) ? body.data : undefined;
        },
        'the upload to be processed',
        180_000,
      );
      assert.equal(outcome.status, 'ready', JSON.stringify(outcome));
      const original = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `uploads/${id}/original` }));
      assert.equal(original.ContentLength, 4096, 'the upload is in the shared bucket');
    });

    /** Status of a container's declared probe. */
    const probe = (pod: ReturnType<typeof podOf>, kind: (typeof PROBES)[number]) => {
      const get = pod.app[kind]?.httpGet;
      assert.ok(get, `${pod.identity.name} declares ${kind}`);
      return status(`http://127.0.0.1:${(started.get(pod.identity.name) as PodContainer).hostPort(get.port)}${get.path}`);
    };

    it('a Postgres outage takes the api out of rotation without failing any liveness probe, and it comes back', async () => {
      const [apiPod, ...workerPods] = pods;
      assert.ok(apiPod);
      postgres.stopFast();
      try {
        await eventually(async () => (await probe(apiPod, 'readinessProbe')) === 503, 'api readiness 503 without Postgres', 60_000);
        // Restarting a pod would not bring Postgres back: liveness must not depend on it.
        for (const pod of pods) assert.equal(await probe(pod, 'livenessProbe'), 200, `${pod.identity.name} liveness`);
        for (const pod of workerPods) assert.equal(await probe(pod, 'readinessProbe'), 200, `${pod.identity.name} readiness`);
      } finally {
        postgres.start();
      }
      await eventually(async () => (await probe(apiPod, 'readinessProbe')) === 200, 'api ready again', 120_000);
    });

    it('every container exits 0 on SIGTERM to its PID 1; the draining api is unready but alive', async () => {
      const [apiPod] = pods;
      assert.ok(apiPod);
      const api = started.get(apiPod.identity.name) as PodContainer;
      await api.signal('SIGTERM');
      // Production waits 5 s before closing (endpoint propagation): not ready, still alive meanwhile.
      // The signal is handled on the process's next turn, so readiness turns a moment after it.
      await eventually(
        async () => (await probe(apiPod, 'readinessProbe')) === 503 && (await probe(apiPod, 'livenessProbe')) === 200,
        'the draining api unready and alive',
      );
      for (const container of started.values()) if (container !== api) await container.signal('SIGTERM');
      for (const container of started.values()) assert.equal(await container.exited, 0, container.output());
    });
  });

  describe(`the operator container managing examples/${example}`, { timeout: 600_000 }, () => {
    it('runs in-cluster as its ServiceAccount: probes answer, metrics for a metrics reader only, the platform’s keys appear, SIGTERM exits 0', async () => {
      const namespace = await plane.namespace('pod-contract');
      // The chart's values a user would set to confine the operator to one namespace.
      const install = new OperatorInstall(new App(), {
        ...DEFAULT_INSTALL_VALUES,
        namespace,
        watchNamespace: namespace,
      }).toJson() as KubernetesObject[];
      const operator = install.find((o) => o.kind === 'Deployment') as Deployment;
      const kubeConfig = await operatorKubeConfig(plane, namespace);
      // The ServiceAccount volume the kubelet mounts (automountServiceAccountToken defaults to true).
      const serviceAccount = emptyDir('pp-serviceaccount-');
      writeFileSync(join(serviceAccount, 'token'), kubeConfig.getCurrentUser()?.token ?? '', { mode: 0o644 });
      writeFileSync(join(serviceAccount, 'ca.crt'), plane.plane.caPem(), { mode: 0o644 });
      writeFileSync(join(serviceAccount, 'namespace'), namespace, { mode: 0o644 });
      const { platform } = renderExample(example);
      const manifest = { apiVersion: platform.apiVersion, kind: platform.kind, metadata: { name: platform.metadata.name, namespace } };
      await plane.objects.create({ ...manifest, spec: exampleSpec(example) } as KubernetesObject);

      const spec = operator.spec.template.spec;
      const container = spec.containers[0] as Container;
      assert.notEqual(spec.automountServiceAccountToken, false, 'the operator needs its ServiceAccount token');
      const apiserver = new URL(plane.plane.server);
      const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, emptyDir(`pp-${v.name}-`)]));
      volumes.set('kube-api-access', serviceAccount);
      const withToken = {
        ...container,
        volumeMounts: [
          ...(container.volumeMounts ?? []),
          { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        ],
      };
      const running = await startPodContainer({
        tree,
        pod: { name: `pass-operator-6c4d8f9b7-q8w2e`, namespace },
        container: withToken,
        objects: namespaceObjects(install),
        addresses: {},
        clusterHost: /\.svc\b/,
        volumes,
        // The `kubernetes` Service → kube-apiserver here.
        kubernetesService: { host: apiserver.hostname, port: Number(apiserver.port) },
      });
      try {
        await requireProbes(container, running);
        const monitorPort = running.hostPort('metrics');
        // Metrics for whom RBAC allows (the metrics-reader ClusterRole), reviewed by the apiserver.
        assert.equal(await status(`http://127.0.0.1:${monitorPort}/metrics`), 401, 'the operator’s metrics need a token');
        const scraper = await readerToken(plane, namespace, 'prometheus', ['metrics']);
        assert.equal(await status(`http://127.0.0.1:${monitorPort}/metrics`, { authorization: `Bearer ${scraper}` }), 200);
        await eventually(
          async () =>
            (await plane.core.readNamespacedSecret({ name: childNames(platform.metadata.name).keys, namespace }).catch(() => undefined)) !==
            undefined,
          `the operator to create the platform's keys\n${running.output()}`,
          180_000,
        );
        await running.signal('SIGTERM');
        assert.equal(await running.exited, 0, running.output());
      } finally {
        if (running.child.exitCode === null) await running.signal('SIGKILL').catch(() => undefined);
        for (const dir of volumes.values()) rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
