/**
 * The operator's install manifests: its CRD, a ServiceAccount with least-privilege RBAC (read and
 * write only the kinds it manages, Events, and its own Lease), the Deployment, and a Service for
 * its metrics. The same chart, built with Helm template expressions as values, is the Helm chart.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { CHILD_KINDS, groupOf } from './child-kinds.js';
import { API_GROUP, PLURAL } from '../platform-api/v1alpha1/index.js';
import type { OperatorVariable } from '../core/operator-config.js';
import { imageCommand } from './image-commands.js';
import { PassPlatformCrd } from './passplatform-crd.js';
import { buildOperatorRuleGroups } from '../alerts/rules.js';
import { DEFAULT_RUNBOOK_BASE_URL } from '../platform-api/v1alpha1/index.js';

export interface InstallValues {
  namespace: string;
  image: { repository: string; tag: string; pullPolicy: string };
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  /** Namespace the operator watches; empty for all. */
  watchNamespace: string;
  replicas: number | string;
  logLevel: string;
  /**
   * Defaults for every platform's spec.monitoring (a platform's own win): where alerts link their
   * runbooks, and labels on each PrometheusRule (`name=value,…`, e.g. the `release` a
   * kube-prometheus ruleSelector matches). The runbook base also serves the operator's own rules.
   */
  monitoring: { runbookBaseUrl: string; ruleLabels: string };
}

export const DEFAULT_INSTALL_VALUES: InstallValues = {
  namespace: 'pass-system',
  image: { repository: 'ghcr.io/passplatform/passplatform', tag: '0.1.0', pullPolicy: 'IfNotPresent' },
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  watchNamespace: '',
  replicas: 2,
  logLevel: 'info',
  monitoring: { runbookBaseUrl: DEFAULT_RUNBOOK_BASE_URL, ruleLabels: '' },
};

export const OPERATOR_NAME = 'pass-operator';
const METRICS_PORT = 8080;

/**
 * Who may read the operator's HTTP server (operator/delegated-access.ts asks the apiserver): bind a
 * user or ServiceAccount to one of these ClusterRoles. Non-resource URLs, so ClusterRoles only.
 */
export const READER_ROLES = {
  metrics: { name: `${OPERATOR_NAME}-metrics-reader`, nonResourceURLs: ['/metrics'] },
  cost: { name: `${OPERATOR_NAME}-cost-reader`, nonResourceURLs: ['/cost', '/cost/*'] },
} as const;

/** The ServiceAccount whose token the operator's ServiceMonitor scrapes with, and the Secret holding it. */
export const METRICS_SCRAPER = { serviceAccount: `${OPERATOR_NAME}-metrics-scraper`, secret: `${OPERATOR_NAME}-metrics-scraper-token` };

/** RBAC rules: exactly the verbs the controller, the finalizer and the leader election use. */
export function operatorRules(): k8s.PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const kind of CHILD_KINDS) byGroup.set(groupOf(kind.apiVersion), [...(byGroup.get(groupOf(kind.apiVersion)) ?? []), kind.plural]);
  return [
    { apiGroups: [API_GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [API_GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
    // Children carry an owner reference with blockOwnerDeletion; where the
    // OwnerReferencesPermissionEnforcement admission plugin runs, setting it needs this.
    { apiGroups: [API_GROUP], resources: [`${PLURAL}/finalizers`], verbs: ['update'] },
    ...[...byGroup].map(([group, resources]) => ({
      apiGroups: [group],
      resources,
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    })),
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    // Deciding who may read /metrics and /cost: the token's user, then RBAC's answer for the path.
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  ];
}

export class OperatorInstall extends Chart {
  constructor(app: App, values: InstallValues = DEFAULT_INSTALL_VALUES) {
    super(app, 'pass-operator', { disableResourceNameHashes: true });
    const namespace = values.namespace;
    const labels = { 'app.kubernetes.io/name': OPERATOR_NAME, 'app.kubernetes.io/part-of': 'passplatform' };
    // `kubectl apply -f` of the manifests must work on a fresh cluster; the Helm chart leaves the
    // Namespace out (`helm install --create-namespace` makes it, and a release must not own it).
    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: namespace, labels } });
    new PassPlatformCrd(this, 'crd');
    new k8s.KubeServiceAccount(this, 'sa', { metadata: { name: OPERATOR_NAME, namespace, labels } });
    new k8s.KubeClusterRole(this, 'role', { metadata: { name: OPERATOR_NAME, labels }, rules: operatorRules() });
    new k8s.KubeClusterRoleBinding(this, 'binding', {
      metadata: { name: OPERATOR_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
    });
    for (const [id, role] of Object.entries(READER_ROLES)) {
      new k8s.KubeClusterRole(this, `${id}-reader`, {
        metadata: { name: role.name, labels },
        rules: [{ nonResourceUrLs: [...role.nonResourceURLs], verbs: ['get'] }],
      });
    }
    // Leader election touches one Lease in the operator's own namespace only.
    new k8s.KubeRole(this, 'leader-role', {
      metadata: { name: `${OPERATOR_NAME}-leader-election`, namespace, labels },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
    });
    new k8s.KubeRoleBinding(this, 'leader-binding', {
      metadata: { name: `${OPERATOR_NAME}-leader-election`, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${OPERATOR_NAME}-leader-election` },
      subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
    });
    const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
    // Typed against the operator's configuration, so the install cannot set a variable it does not read.
    const operatorEnv = (name: OperatorVariable, source: Omit<k8s.EnvVar, 'name'>): k8s.EnvVar => ({ name, ...source });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: OPERATOR_NAME, namespace, labels },
      spec: {
        replicas: values.replicas as number,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: OPERATOR_NAME,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'operator',
                image: `${values.image.repository}:${values.image.tag}`,
                imagePullPolicy: values.image.pullPolicy,
                command: imageCommand('operator'),
                env: [
                  operatorEnv('WATCH_NAMESPACE', { value: values.watchNamespace }),
                  operatorEnv('LOG_LEVEL', { value: values.logLevel }),
                  operatorEnv('METRICS_PORT', { value: String(METRICS_PORT) }),
                  operatorEnv('POD_NAMESPACE', fieldRef('metadata.namespace')),
                  operatorEnv('POD_NAME', fieldRef('metadata.name')),
                  operatorEnv('DEFAULT_RUNBOOK_BASE_URL', { value: values.monitoring.runbookBaseUrl }),
                  operatorEnv('DEFAULT_RULE_LABELS', { value: values.monitoring.ruleLabels }),
                ],
                ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString(values.resources.requests.cpu),
                    memory: k8s.Quantity.fromString(values.resources.requests.memory),
                  },
                  limits: { memory: k8s.Quantity.fromString(values.resources.limits.memory) },
                },
                startupProbe: {
                  httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('metrics') },
                  periodSeconds: 2,
                  failureThreshold: 30,
                },
                livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 5 },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                // The root filesystem is read-only; /tmp is the only place anything may write.
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'metrics', {
      metadata: { name: `${OPERATOR_NAME}-metrics`, namespace, labels },
      spec: { selector: labels, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
    });
  }
}

/** The install objects for the given values. */
export function installObjects(values: InstallValues = DEFAULT_INSTALL_VALUES): Record<string, unknown>[] {
  return new OperatorInstall(new App(), values).toJson() as Record<string, unknown>[];
}

/**
 * The operator's own monitoring: a ServiceMonitor for its metrics (scraping as the
 * metrics-scraper ServiceAccount) and a PrometheusRule with its health alerts (no leader,
 * reconcile errors) from `alerts/`. Both need the Prometheus Operator's
 * CRDs, so they are separate from the install and switched on by `serviceMonitor.enabled`.
 */
export class OperatorServiceMonitor extends Chart {
  constructor(app: App, values: Pick<InstallValues, 'namespace' | 'monitoring'> = DEFAULT_INSTALL_VALUES) {
    super(app, 'pass-operator-monitor', { disableResourceNameHashes: true });
    const labels = { 'app.kubernetes.io/name': OPERATOR_NAME, 'app.kubernetes.io/part-of': 'passplatform' };
    // The operator lets only what RBAC allows read /metrics: Prometheus scrapes as a ServiceAccount
    // bound to the metrics-reader role, with the long-lived token the token controller writes into
    // a Secret of type service-account-token (the prometheus-operator reads credentials from Secrets).
    new k8s.KubeServiceAccount(this, 'scraper', {
      metadata: { name: METRICS_SCRAPER.serviceAccount, namespace: values.namespace, labels },
    });
    new k8s.KubeSecret(this, 'scraper-token', {
      metadata: {
        name: METRICS_SCRAPER.secret,
        namespace: values.namespace,
        labels,
        annotations: { 'kubernetes.io/service-account.name': METRICS_SCRAPER.serviceAccount },
      },
      type: 'kubernetes.io/service-account-token',
    });
    new k8s.KubeClusterRoleBinding(this, 'scraper-binding', {
      metadata: { name: METRICS_SCRAPER.serviceAccount, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: READER_ROLES.metrics.name },
      subjects: [{ kind: 'ServiceAccount', name: METRICS_SCRAPER.serviceAccount, namespace: values.namespace }],
    });
    new ApiObject(this, 'service-monitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: OPERATOR_NAME, namespace: values.namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        endpoints: [
          {
            port: 'metrics',
            path: '/metrics',
            interval: '30s',
            authorization: { type: 'Bearer', credentials: { name: METRICS_SCRAPER.secret, key: 'token' } },
          },
        ],
      },
    });
    new ApiObject(this, 'rules', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: OPERATOR_NAME, namespace: values.namespace, labels },
      spec: { groups: buildOperatorRuleGroups({ runbookBaseUrl: values.monitoring.runbookBaseUrl }) },
    });
  }
}

export function serviceMonitorObjects(
  values: Pick<InstallValues, 'namespace' | 'monitoring'> = DEFAULT_INSTALL_VALUES,
): Record<string, unknown>[] {
  return new OperatorServiceMonitor(new App(), values).toJson() as Record<string, unknown>[];
}
