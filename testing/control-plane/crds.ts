/**
 * The CRDs a platform's children need, installed as a platform team installs them: the upstream
 * CloudNativePG and prometheus-operator CRDs (read from their Go modules, never copied here) and
 * the PassPlatform CRD from the same cdk8s construct the chart ships. Applied server-side (the
 * upstream CRDs are too large for client-side apply's annotation) and waited for until Established.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { App, Chart } from 'cdk8s';
import { loadAll } from 'js-yaml';
import { PassPlatformCrd } from '../../cdk8s/passplatform-crd.js';
import { eventually } from '../eventually.js';
import { binary, thirdPartyCrdFiles } from './binaries.js';

const FIELD_MANAGER = 'passplatform-test-setup';

export function passPlatformCrd(): KubernetesObject {
  const chart = new Chart(new App(), 'crd');
  new PassPlatformCrd(chart, 'passplatform');
  return chart.toJson()[0] as KubernetesObject;
}

export function thirdPartyCrds(): KubernetesObject[] {
  return thirdPartyCrdFiles().flatMap((file) =>
    (loadAll(readFileSync(file, 'utf8')) as (KubernetesObject | null)[]).filter((d): d is KubernetesObject => Boolean(d)),
  );
}

/**
 * Applies CRDs with kubectl, as a platform team does, and waits until each is Established (its API
 * is served). Not through client-node: its typed CRD model drops the `x-kubernetes-*` schema keys.
 */
export async function applyCrds(kubeConfig: KubeConfig, kubeconfigPath: string, crds: KubernetesObject[]): Promise<void> {
  execFileSync(
    binary('kubectl'),
    ['--kubeconfig', kubeconfigPath, 'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'],
    {
      input: crds.map((c) => JSON.stringify(c)).join('\n'),
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const established = (crd: V1CustomResourceDefinition) =>
    crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  for (const crd of crds) {
    const name = crd.metadata?.name as string;
    await eventually(async () => established(await api.readCustomResourceDefinition({ name })), `CRD ${name} established`, 60_000);
  }
}

export async function installCrds(kubeConfig: KubeConfig, kubeconfigPath: string): Promise<void> {
  await applyCrds(kubeConfig, kubeconfigPath, [...thirdPartyCrds(), passPlatformCrd()]);
}
