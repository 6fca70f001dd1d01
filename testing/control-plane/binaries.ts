/**
 * Where the control plane's binaries and the third-party CRDs are: the versions pinned in
 * scripts/tools/control-plane-versions.env, built into the per-machine cache by
 * scripts/tools/build-control-plane.sh, and the CRD files inside the Go modules of CloudNativePG
 * and prometheus-operator (`go mod download -json` names their directory; nothing is copied here).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VERSIONS_FILE = join(REPO, 'scripts', 'tools', 'control-plane-versions.env');
export const BUILD_SCRIPT = join(REPO, 'scripts', 'tools', 'build-control-plane.sh');

export type Tool = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'kwok' | 'helm';

export function pinnedVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (match) versions[match[1] as string] = match[2] as string;
  }
  return versions;
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'passplatform', 'bin');
}

/** The directory holding a tool's binary, as the build script lays it out. */
export function toolDir(tool: Tool): string {
  const v = pinnedVersions();
  const dir = {
    etcd: `etcd-${v.ETCD_VERSION}`,
    'kube-apiserver': `kubernetes-${v.KUBERNETES_VERSION}`,
    'kube-controller-manager': `kubernetes-${v.KUBERNETES_VERSION}`,
    'kube-scheduler': `kubernetes-${v.KUBERNETES_VERSION}`,
    kubectl: `kubernetes-${v.KUBERNETES_VERSION}`,
    kwok: `kwok-${v.KWOK_VERSION}`,
    helm: `helm-${v.HELM_VERSION}`,
  }[tool];
  return join(cacheDir(), dir);
}

export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

/** The path of a built tool; a clear error naming the build script when it is not built yet. */
export function binary(tool: Tool): string {
  const path = join(toolDir(tool), tool);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new MissingBinaryError(`${tool} is not built at ${path}: run scripts/tools/build-control-plane.sh (once per machine)`);
  }
  return path;
}

/** The directory of a Go module version, downloaded into the module cache when missing. */
export function goModuleDir(module: string, version: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', cwd: REPO });
  const dir = (JSON.parse(out) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}@${version} gave no directory: ${out}`);
  return dir;
}

/** The upstream CRD files of every third-party kind a platform's children use. */
export function thirdPartyCrdFiles(): string[] {
  const v = pinnedVersions();
  const cnpg = join(goModuleDir('github.com/cloudnative-pg/cloudnative-pg', v.CLOUDNATIVE_PG_VERSION as string), 'config', 'crd', 'bases');
  const prom = join(
    goModuleDir('github.com/prometheus-operator/prometheus-operator', v.PROMETHEUS_OPERATOR_VERSION as string),
    'example',
    'prometheus-operator-crd',
  );
  return [
    join(cnpg, 'postgresql.cnpg.io_clusters.yaml'),
    join(cnpg, 'postgresql.cnpg.io_scheduledbackups.yaml'),
    join(cnpg, 'postgresql.cnpg.io_poolers.yaml'),
    join(prom, 'monitoring.coreos.com_servicemonitors.yaml'),
    join(prom, 'monitoring.coreos.com_podmonitors.yaml'),
    join(prom, 'monitoring.coreos.com_prometheusrules.yaml'),
  ];
}
