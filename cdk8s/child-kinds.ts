/**
 * The kinds a platform's children are made of: the operator watches them, prunes them and needs
 * RBAC on them, so the install manifests' Role is built from this same list.
 */
export interface WatchedKind {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const CHILD_KINDS: WatchedKind[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', plural: 'clusters' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup', plural: 'scheduledbackups' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Pooler', plural: 'poolers' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', plural: 'podmonitors' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', plural: 'prometheusrules' },
];

export const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '');

/** The URL path of a kind's collection, in one namespace or across all. */
export function collectionPath(kind: Pick<WatchedKind, 'apiVersion' | 'plural'>, namespace?: string): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}
