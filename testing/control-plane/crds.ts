/**
 * The CRDs a platform's children need, installed as a platform team installs them: the upstream
 * CloudNativePG and prometheus-operator CRDs (read from their Go modules, never copied here) and
 * the PassPlatform CRD from the same cdk8s construct the chart ships. Applied server-side (the
 * upstream CRDs are too large for client-side apply's annotation) and waited for until Established.
 */
import { readFileSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { App, Chart } from 'cdk8s';
import { loadAll } from 'js-yaml';
import { PassPlatformCrd } from '../../cdk8s/passplatform-crd.js';
import { eventually } from '../eventually.js';
import { thirdPartyCrdFiles } from './binaries.js';

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

/** Applies CRDs and waits until each is Established (its API is served). */
export async function applyCrds(kubeConfig: KubeConfig, crds: KubernetesObject[]): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const crd of crds) await objects.patch(crd, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const established = (crd: V1CustomResourceDefinition) =>
    crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  for (const crd of crds) {
    const name = crd.metadata?.name as string;
    await eventually(async () => established(await api.readCustomResourceDefinition({ name })), `CRD ${name} established`, 60_000);
  }
}

export async function installCrds(kubeConfig: KubeConfig): Promise<void> {
  await applyCrds(kubeConfig, [...thirdPartyCrds(), passPlatformCrd()]);
}
