/**
 * The platform's processes started as pods start them — `api/main.ts`, `workers/main.ts` and
 * `operator/main.ts`, each its own Node process with its environment — on a test environment's
 * database and Redis prefix, for tests that scrape them with a real Prometheus. Every process is
 * stopped (and only those) by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { freePort } from '../core/ports.js';
import { spawnWorkerProcess, type WorkerProcess } from './worker-process.js';
import { spawnApiProcess, type ApiProcess } from './api-process.js';
import { eventually } from './eventually.js';
import { startTestControlPlane, type TestControlPlane } from './control-plane/for-tests.js';
import { operatorKubeConfig } from './control-plane/operator-identity.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningProcess {
  child: ChildProcess;
  /** host:port serving /metrics. */
  metricsAddress: string;
}

/** Starts an entry point and resolves once `ready` answers 200 (the operator logs nothing on readiness). */
async function startNodeProcess(entry: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${entry} exited (${code ?? signal}): ${stderr}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([
    eventually(async () => (await fetch(ready).catch(() => undefined))?.ok, `${entry} to answer ${ready}`, 300_000),
    exited,
  ]);
  return child;
}

/** `api/main.ts` (testing/api-process.ts), with the address Prometheus scrapes. */
export async function spawnApi(env: Record<string, string>): Promise<ApiProcess & { metricsAddress: string }> {
  const api = await spawnApiProcess(env, { LOG_LEVEL: 'info' });
  return { ...api, metricsAddress: new URL(api.url).host };
}

/** `workers/main.ts` serving the given queues. */
export async function spawnWorkers(
  env: Record<string, string>,
  overrides: Record<string, string> = {},
): Promise<WorkerProcess & { metricsAddress: string }> {
  // Its readiness is read from its info-level "workers ready" log line.
  const worker = await spawnWorkerProcess(env, { ...overrides, LOG_LEVEL: 'info' });
  return { ...worker, metricsAddress: new URL(worker.metricsUrl).host };
}

export interface OperatorOptions {
  /** Port of its metrics server (allocate it first when a Prometheus must know it before it starts). */
  metricsPort?: number;
  /** Merged into `examples/small.yaml`'s spec, e.g. `{ autoscaling: { prometheusUrl } }`. */
  spec?: Record<string, unknown>;
  /**
   * METRICS_AUTHORIZATION: `none` by default, so a test's Prometheus scrapes without a
   * ServiceAccount token; `kubernetes` as on a cluster (operator/delegated-access.test.ts).
   */
  metricsAuthorization?: 'kubernetes' | 'none';
}

/** The PassPlatform `spawnOperator` creates: `examples/small.yaml`. */
export function examplePlatform(): { metadata: Record<string, unknown> & { name: string }; spec: Record<string, unknown> } {
  return load(readFileSync(join(ROOT, 'examples/small.yaml'), 'utf8')) as ReturnType<typeof examplePlatform>;
}

/**
 * `operator/main.ts` on the real control plane (the shared one under `npm test`), as its own
 * ServiceAccount with the chart's RBAC, watching and managing `examples/small.yaml` in `namespace`.
 */
export async function spawnOperator(
  namespace: string,
  options: OperatorOptions = {},
): Promise<RunningProcess & { cluster: TestControlPlane; name: string; stop(): Promise<void> }> {
  const cluster = await startTestControlPlane();
  await cluster.core.createNamespace({ body: { metadata: { name: namespace } } });
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'pp-kube-')), 'config');
  writeFileSync(kubeconfig, (await operatorKubeConfig(cluster, namespace)).exportConfig(), { mode: 0o600 });
  const port = options.metricsPort ?? (await freePort());
  const manifest = examplePlatform();
  manifest.metadata.namespace = namespace;
  for (const [key, value] of Object.entries(options.spec ?? {})) {
    const current = manifest.spec[key];
    manifest.spec[key] = typeof current === 'object' && current !== null && typeof value === 'object' ? { ...current, ...value } : value;
  }
  await cluster.objects.create(manifest as never);
  const child = await startNodeProcess(
    'operator/main.ts',
    {
      KUBECONFIG: kubeconfig,
      WATCH_NAMESPACE: namespace,
      METRICS_PORT: String(port),
      METRICS_AUTHORIZATION: options.metricsAuthorization ?? 'none',
      POD_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
    },
    `http://127.0.0.1:${port}/healthz`,
  );
  return {
    child,
    cluster,
    name: String(manifest.metadata.name),
    metricsAddress: `127.0.0.1:${port}`,
    async stop() {
      await stopProcess(child);
      await cluster.stop();
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited within the grace period. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
