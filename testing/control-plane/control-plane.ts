/**
 * A real Kubernetes control plane on loopback, as controller-runtime's envtest starts one, plus
 * the parts envtest leaves out so that workloads behave as on a cluster: etcd, kube-apiserver
 * (RBAC, ServiceAccount tokens), kube-controller-manager (Deployments, ReplicaSets, StatefulSets,
 * Jobs, the garbage collector, ServiceAccounts, PV binding), kube-scheduler, and kwok, which plays
 * the kubelet of a few fake Nodes so that Pods are scheduled and reported Running and Ready.
 *
 * Everything lives in one directory: certificates, kubeconfigs, etcd's data and each process's
 * log; `state.json` there lets another process (`npm run cluster -- down`) stop it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../core/ports.js';
import { eventually } from '../eventually.js';
import { binary, goModuleDir, pinnedVersions } from './binaries.js';
import { CertificateAuthority, serviceAccountKeys } from './certificates.js';
import { installCrds } from './crds.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { isRunning, logTail, startComponent, stopComponent, type Component, type StartOptions } from './processes.js';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
const STARTUP_DEADLINE_MS = 180_000;

export interface ControlPlaneOptions {
  /** Directory for everything; a fresh temporary one when unset. */
  dir?: string;
  /** Processes outlive this one (the CLI); stop them with `stopControlPlane(dir)`. */
  detached?: boolean;
  /** Fake Nodes kwok runs (default 3, one per zone). */
  nodes?: number;
  /** Install the third-party and PassPlatform CRDs (default true). */
  crds?: boolean;
  /**
   * kube-apiserver serves watches from etcd itself (`--watch-cache=false`) and never compacts on
   * its own (`--etcd-compaction-interval=0`): a watch resuming after a restart replays etcd's
   * history, and gets 410 Gone only when `compactEtcd()` removed it. With the watch cache (the
   * default), a restarted kube-apiserver answers 410 to any watch older than its fresh cache,
   * compacted or not.
   */
  watchFromEtcd?: boolean;
}

export interface ControlPlaneState {
  dir: string;
  server: string;
  etcdUrl: string;
  kubeconfig: string;
  components: Component[];
}

/** A running control plane. */
export class ControlPlane {
  /** Flags kube-apiserver gets beyond the common ones, kept for a restart. */
  private apiServerFlags: string[] = [];

  private constructor(
    private state: ControlPlaneState,
    private readonly detached: boolean,
  ) {}

  get dir(): string {
    return this.state.dir;
  }

  /** https://127.0.0.1:PORT of kube-apiserver. */
  get server(): string {
    return this.state.server;
  }

  /** Path of the admin kubeconfig (group system:masters). */
  get kubeconfigPath(): string {
    return this.state.kubeconfig;
  }

  get etcdUrl(): string {
    return this.state.etcdUrl;
  }

  /** A client configuration for the admin. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.state.kubeconfig);
    return kc;
  }

  /** A client configuration that authenticates with a bearer token (e.g. a ServiceAccount's). */
  tokenKubeConfig(token: string, user = 'token-user'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml(this.server, this.caPem(), { name: user, token }));
    return kc;
  }

  /** Writes a kubeconfig authenticating with a bearer token, for a process the test starts. */
  writeTokenKubeconfig(token: string, file: string, user = 'token-user'): string {
    writeFileSync(file, kubeconfigYaml(this.server, this.caPem(), { name: user, token }), { mode: 0o600 });
    return file;
  }

  caPem(): string {
    return readFileSync(join(this.dir, 'pki', 'ca.crt'), 'utf8');
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'passplatform-cp-'));
    for (const sub of ['pki', 'logs', 'etcd', 'kubeconfigs']) mkdirSync(join(dir, sub), { recursive: true });
    const plane = new ControlPlane(
      {
        dir,
        server: '',
        etcdUrl: '',
        kubeconfig: join(dir, 'kubeconfigs', 'admin.kubeconfig'),
        components: [],
      },
      options.detached ?? false,
    );
    // A test process that dies must not leave a control plane behind it; a detached one is meant to.
    if (!plane.detached) process.once('exit', () => plane.killNow());
    if (options.watchFromEtcd) plane.apiServerFlags = ['--watch-cache=false', '--etcd-compaction-interval=0'];
    try {
      await plane.boot(options);
    } catch (error) {
      await plane.stop({ keepDir: true });
      throw error;
    }
    return plane;
  }

  /** Attaches to a control plane started (detached) by another process. */
  static attach(dir: string): ControlPlane {
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    return new ControlPlane(state, true);
  }

  private spawnOptions(): StartOptions {
    return { detached: this.detached };
  }

  private async boot(options: ControlPlaneOptions) {
    const { dir } = this;
    const [etcdPort, peerPort, apiPort, kcmPort, schedulerPort, kwokPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    this.state.etcdUrl = `http://127.0.0.1:${etcdPort}`;
    this.state.server = `https://127.0.0.1:${apiPort}`;
    await this.writePki();

    const etcd = this.launch('etcd', binary('etcd'), [
      '--name=etcd',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${this.state.etcdUrl}`,
      `--advertise-client-urls=${this.state.etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=etcd=http://127.0.0.1:${peerPort}`,
      // A test cluster's data is thrown away; fsync on a busy shared disk only slows every write.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await this.waitFor(
      etcd,
      async () =>
        (
          (await (await fetch(`${this.state.etcdUrl}/health`)).json()) as {
            health?: string;
          }
        ).health === 'true',
    );

    await this.startApiServer(apiPort);

    const files = (name: string) => join(dir, 'kubeconfigs', `${name}.kubeconfig`);
    const kcm = this.launch('kube-controller-manager', binary('kube-controller-manager'), [
      `--kubeconfig=${files('kube-controller-manager')}`,
      `--authentication-kubeconfig=${files('kube-controller-manager')}`,
      `--authorization-kubeconfig=${files('kube-controller-manager')}`,
      `--service-account-private-key-file=${join(dir, 'pki', 'sa.key')}`,
      `--root-ca-file=${join(dir, 'pki', 'ca.crt')}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'pki', 'kube-controller-manager')}`,
      '--v=1',
    ]);
    const scheduler = this.launch('kube-scheduler', binary('kube-scheduler'), [
      `--kubeconfig=${files('kube-scheduler')}`,
      `--authentication-kubeconfig=${files('kube-scheduler')}`,
      `--authorization-kubeconfig=${files('kube-scheduler')}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      `--cert-dir=${join(dir, 'pki', 'kube-scheduler')}`,
      '--v=1',
    ]);
    const kwokStages = join(goModuleDir('sigs.k8s.io/kwok', pinnedVersions().KWOK_VERSION as string), 'kustomize', 'stage');
    const kwok = this.launch('kwok', binary('kwok'), [
      `--kubeconfig=${files('kwok')}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      // kwok's own stage definitions, from its module: Nodes initialise and heartbeat through their
      // Lease; Pods become Running/Ready, finish, and are removed when deleted.
      `--config=${['node/fast/node-initialize.yaml', 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml', 'pod/fast/pod-ready.yaml', 'pod/fast/pod-complete.yaml', 'pod/fast/pod-delete.yaml'].map((f) => join(kwokStages, f)).join(',')}`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.0.0.2',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    this.saveState();

    const admin = this.kubeConfig();
    const core = admin.makeApiClient(CoreV1Api);
    await this.createNodes(core, options.nodes ?? 3);
    await this.waitFor(kwok, async () => {
      const nodes = await core.listNode();
      return (
        nodes.items.length > 0 && nodes.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      );
    });
    // The ServiceAccount controller making `default` shows the controller-manager is working.
    await this.waitFor(kcm, async () =>
      Boolean(
        await core.readNamespacedServiceAccount({
          name: 'default',
          namespace: 'default',
        }),
      ),
    );
    await this.waitFor(scheduler, async () => (await healthz(`https://127.0.0.1:${schedulerPort}/healthz`)) === 'ok');
    if (options.crds ?? true) await installCrds(admin, this.kubeconfigPath);
  }

  /** Starts (or restarts) kube-apiserver on `port` and waits until it is ready. */
  private async startApiServer(port: number) {
    const { dir } = this;
    const pki = (f: string) => join(dir, 'pki', f);
    const apiserver = this.launch('kube-apiserver', binary('kube-apiserver'), [
      `--etcd-servers=${this.state.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The `kubernetes` Service's endpoints may not be a loopback address; nothing here needs them.
      '--endpoint-reconciler-type=none',
      `--secure-port=${port}`,
      `--cert-dir=${pki('kube-apiserver')}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--client-ca-file=${pki('ca.crt')}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki('sa.pub')}`,
      `--service-account-signing-key-file=${pki('sa.key')}`,
      '--authorization-mode=RBAC',
      // As hardened clusters (OpenShift among them) run it: an owner reference with
      // blockOwnerDeletion needs update on the owner's finalizers, which the operator's RBAC must grant.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      // One client per component and a handful of tests: fairness queues only cost CPU here.
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
      ...this.apiServerFlags,
    ]);
    this.saveState();
    const tls = this.clientTls('admin');
    await this.waitFor(apiserver, async () => (await healthz(`${this.state.server}/readyz`, tls)) === 'ok');
  }

  /**
   * Stops kube-apiserver, runs `between` (e.g. an etcd compaction), and starts it again on the
   * same port: every watch is cut, and a client resuming from before the compaction gets 410 Gone.
   */
  async restartApiServer(between: () => Promise<void> = async () => undefined): Promise<void> {
    const apiserver = this.component('kube-apiserver');
    await stopComponent(apiserver);
    this.state.components = this.state.components.filter((c) => c !== apiserver);
    await between();
    await this.startApiServer(Number(new URL(this.server).port));
  }

  /**
   * Compacts etcd's history (what kube-apiserver does every 5 minutes) past every revision a client
   * has seen. Compacting at the head revision keeps that revision, so a watch that had seen the
   * last write (or the one before it) could resume without a 410, depending on which object was
   * written last before the restart (watch-expiry.test's Deployment watch, once, on a busy machine).
   * Two writes to a key kube-apiserver does not read move the head past anything it served; call it
   * while kube-apiserver is stopped so no watch sees them.
   */
  async compactEtcd(): Promise<number> {
    const key = Buffer.from('/passplatform-test/compaction-marker').toString('base64');
    let revision = '';
    for (const value of ['1', '2']) {
      const put = await fetch(`${this.etcdUrl}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key, value: Buffer.from(value).toString('base64') }),
      });
      if (!put.ok) throw new Error(`etcd put failed: ${put.status} ${await put.text()}`);
      revision = ((await put.json()) as { header: { revision: string } }).header.revision;
    }
    const response = await fetch(`${this.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision, physical: true }),
    });
    if (!response.ok) throw new Error(`etcd compaction failed: ${response.status} ${await response.text()}`);
    return Number(revision);
  }

  /** Stops every process (newest first) and, unless `keepDir`, removes the directory. */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    for (const component of [...this.state.components].reverse()) {
      try {
        await stopComponent(component);
      } catch {
        // Keep stopping the others: one that refuses must not leave the rest running.
      }
    }
    this.state.components = [];
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILLs every process at once (synchronous, for an exiting process). */
  private killNow() {
    for (const c of this.state.components) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** The running components, for a CLI that reports them. */
  components(): readonly Component[] {
    return this.state.components;
  }

  private component(name: string): Component {
    const found = this.state.components.find((c) => c.name === name);
    if (!found) throw new Error(`${name} is not running`);
    return found;
  }

  private launch(name: string, command: string, args: string[]): Component {
    const component = startComponent(name, command, args, join(this.dir, 'logs'), this.spawnOptions());
    this.state.components.push(component);
    return component;
  }

  private saveState() {
    writeFileSync(join(this.dir, 'state.json'), JSON.stringify(this.state, null, 2));
  }

  /** Waits for `ready`; fails early, with the log's tail, when the process exits instead. */
  private async waitFor(component: Component, ready: () => Promise<boolean>) {
    let exited = false;
    await eventually(
      async () => {
        // A process that died will never be ready: stop waiting (eventually() retries throws).
        if (!isRunning(component.pid)) exited = true;
        return exited || ready();
      },
      `${component.name} to be ready`,
      STARTUP_DEADLINE_MS,
    )
      .then(() => {
        if (exited) throw new ComponentExited(component);
      })
      .catch((error: unknown) => {
        throw new Error(
          `${component.name} did not come up (${isRunning(component.pid) ? 'still running' : 'exited'}); its log ends:\n${logTail(component)}`,
          { cause: error },
        );
      });
  }

  private clientTls(name: string) {
    const pki = (f: string) => readFileSync(join(this.dir, 'pki', f), 'utf8');
    return {
      ca: pki('ca.crt'),
      cert: pki(`${name}.crt`),
      key: pki(`${name}.key`),
    };
  }

  private async writePki(): Promise<void> {
    const pki = (f: string) => join(this.dir, 'pki', f);
    const ca = await CertificateAuthority.create();
    const serving = await ca.serving(
      'kube-apiserver',
      ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ['127.0.0.1', '10.96.0.1'],
    );
    writeFileSync(pki('ca.crt'), ca.certPem);
    writeFileSync(pki('apiserver.crt'), serving.cert);
    writeFileSync(pki('apiserver.key'), serving.key, { mode: 0o600 });
    const sa = serviceAccountKeys();
    writeFileSync(pki('sa.key'), sa.privateKey, { mode: 0o600 });
    writeFileSync(pki('sa.pub'), sa.publicKey);
    // Identities kube-apiserver's bootstrap RBAC already knows; the admin and kwok (which plays
    // every fake Node's kubelet at once, so no single node identity fits) are cluster admins.
    const identities = {
      admin: { user: 'passplatform-admin', groups: ['system:masters'] },
      'kube-controller-manager': { user: 'system:kube-controller-manager' },
      'kube-scheduler': { user: 'system:kube-scheduler' },
      kwok: { user: 'kwok', groups: ['system:masters'] },
    };
    for (const [name, identity] of Object.entries(identities)) {
      const pair = await ca.client(identity);
      writeFileSync(pki(`${name}.crt`), pair.cert);
      writeFileSync(pki(`${name}.key`), pair.key, { mode: 0o600 });
      const kubeconfig = kubeconfigYaml(this.server, ca.certPem, {
        name,
        cert: pair.cert,
        key: pair.key,
      });
      writeFileSync(join(this.dir, 'kubeconfigs', `${name}.kubeconfig`), kubeconfig, { mode: 0o600 });
    }
  }

  private async createNodes(core: CoreV1Api, count: number) {
    for (let i = 0; i < count; i++) {
      const name = `kwok-node-${i}`;
      await core.createNode({
        body: {
          metadata: {
            name,
            annotations: {
              [KWOK_NODE_ANNOTATION]: 'fake',
              'node.alpha.kubernetes.io/ttl': '0',
            },
            labels: {
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              'node-role.kubernetes.io/worker': '',
              'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + (i % 3))}`,
              type: 'kwok',
            },
          },
          status: {
            allocatable: {
              cpu: '64',
              memory: '256Gi',
              pods: '250',
              'ephemeral-storage': '1Ti',
            },
            capacity: {
              cpu: '64',
              memory: '256Gi',
              pods: '250',
              'ephemeral-storage': '1Ti',
            },
            nodeInfo: {
              architecture: 'amd64',
              operatingSystem: 'linux',
              kubeletVersion: pinnedVersions().KUBERNETES_VERSION as string,
              bootID: '',
              containerRuntimeVersion: 'kwok',
              kernelVersion: '',
              kubeProxyVersion: '',
              machineID: '',
              osImage: 'kwok',
              systemUUID: '',
            },
          },
        },
      });
    }
  }
}

class ComponentExited extends Error {
  constructor(component: Component) {
    super(`${component.name} exited`);
  }
}

/** GET a health endpoint over TLS: with the CA and a client certificate, or (a component's self-signed serving cert) unverified. */
function healthz(url: string, tls?: { ca: string; cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(tls ?? { rejectUnauthorized: false }), timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : `${res.statusCode}: ${body}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Stops a control plane started detached in `dir` (the CLI's `down`). */
export async function stopControlPlane(dir: string): Promise<void> {
  await ControlPlane.attach(dir).stop();
}
