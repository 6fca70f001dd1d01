/**
 * CRDs the test server starts with: PassPlatform (from the same cdk8s construct the install
 * manifests use) and stand-ins for the third-party kinds a platform's children use —
 * CloudNativePG `Cluster`, Prometheus Operator `ServiceMonitor` and `PrometheusRule`. The
 * stand-ins keep unknown fields rather than copying those projects' large schemas.
 */
import { App, Chart } from 'cdk8s';
import { PassPlatformCrd } from '../../cdk8s/passplatform-crd.js';
import type { Resources } from './resources.js';
import type { KObject } from './store.js';

function openCrd(group: string, kind: string, plural: string, status: boolean): KObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(status ? { subresources: { status: {} } } : {}),
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  } as unknown as KObject;
}

export const THIRD_PARTY_CRDS: KObject[] = [
  openCrd('postgresql.cnpg.io', 'Cluster', 'clusters', true),
  openCrd('postgresql.cnpg.io', 'ScheduledBackup', 'scheduledbackups', true),
  openCrd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors', false),
  openCrd('monitoring.coreos.com', 'PrometheusRule', 'prometheusrules', false),
  openCrd('postgresql.cnpg.io', 'Pooler', 'poolers', true),
  openCrd('monitoring.coreos.com', 'PodMonitor', 'podmonitors', false),
];

export function passPlatformCrdObject(): KObject {
  const chart = new Chart(new App(), 'crd');
  new PassPlatformCrd(chart, 'passplatform');
  return chart.toJson()[0] as KObject;
}

export function installPlatformCrds(resources: Resources) {
  const crdType = resources.findType('apiextensions.k8s.io/v1', 'customresourcedefinitions');
  if (!crdType) throw new Error('CustomResourceDefinition type missing');
  for (const crd of [passPlatformCrdObject(), ...THIRD_PARTY_CRDS]) resources.create(crdType, undefined, crd);
}
