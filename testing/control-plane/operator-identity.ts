/**
 * The operator's own identity on a test control plane, as the install manifests give it on a
 * cluster: a ServiceAccount, the install's ClusterRole (rendered from cdk8s/operator-install.ts, the
 * same construct the Helm chart is built from) and its leader-election Role, and a bound token from
 * the TokenRequest API. A client made from it is refused (403) whatever the chart does not grant,
 * so a verb missing from the chart fails the test that needs it, as it would fail on a cluster.
 */
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { OPERATOR_NAME, OperatorInstall, READER_ROLES } from '../../cdk8s/operator-install.js';
import type { ControlPlaneClients } from './for-tests.js';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}
type RbacObject = KubernetesObject & { rules?: PolicyRule[] };

/** The RBAC objects of the install manifests, as `kubectl apply` of them would create them. */
export function installRbac(): {
  clusterRole: RbacObject;
  leaderRole: RbacObject;
  readerRoles: Record<keyof typeof READER_ROLES, RbacObject>;
} {
  const objects = new OperatorInstall(new App()).toJson() as RbacObject[];
  const find = (kind: string, name?: string) => {
    const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
    if (!found) throw new Error(`the install manifests have no ${kind} ${name ?? ''}`);
    return found;
  };
  return {
    clusterRole: find('ClusterRole', OPERATOR_NAME),
    leaderRole: find('Role'),
    readerRoles: { metrics: find('ClusterRole', READER_ROLES.metrics.name), cost: find('ClusterRole', READER_ROLES.cost.name) },
  };
}

export interface OperatorIdentityOptions {
  /** Drops rules from the chart's ClusterRole (a test proving a rule is needed). */
  withoutRule?: (rule: PolicyRule) => boolean;
  /** Rewrites a rule of the chart's ClusterRole (e.g. takes a verb away for a while). */
  mapRule?: (rule: PolicyRule) => PolicyRule;
}

const clusterRoleName = (namespace: string) => `${OPERATOR_NAME}-${namespace}`;

function chartRules(clusterRole: RbacObject, options: OperatorIdentityOptions): PolicyRule[] {
  return (clusterRole.rules ?? []).filter((rule) => !options.withoutRule?.(rule)).map((rule) => options.mapRule?.(rule) ?? rule);
}

/** Sets the rules of the operator's ClusterRole in `namespace` to the chart's, changed by `options`. */
export async function setOperatorRules(
  cluster: ControlPlaneClients,
  namespace: string,
  options: OperatorIdentityOptions = {},
): Promise<void> {
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await rbac.patchClusterRole(
    { name: clusterRoleName(namespace), body: { rules: chartRules(installRbac().clusterRole, options) } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * A kubeconfig authenticating as ServiceAccount `pass-operator` in `namespace`, bound to a copy of
 * the chart's ClusterRole (named after the namespace, so files sharing the control plane never
 * change each other's) and to the leader-election Role in `namespace`.
 */
export async function operatorKubeConfig(
  cluster: ControlPlaneClients,
  namespace: string,
  options: OperatorIdentityOptions = {},
): Promise<KubeConfig> {
  const { clusterRole, leaderRole } = installRbac();
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const subject = { kind: 'ServiceAccount', name: OPERATOR_NAME, namespace };
  const roleName = clusterRoleName(namespace);
  const rules = chartRules(clusterRole, options);

  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: OPERATOR_NAME } } });
  await objects.create({ ...clusterRole, metadata: { ...clusterRole.metadata, name: roleName }, rules } as RbacObject);
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [subject],
    },
  });
  await objects.create({ ...leaderRole, metadata: { ...leaderRole.metadata, namespace } } as RbacObject);
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: leaderRole.metadata?.name as string },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaderRole.metadata?.name as string },
      subjects: [subject],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name: OPERATOR_NAME,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 * 2 } },
  });
  if (!token.status?.token) throw new Error('the TokenRequest API returned no token');
  return cluster.plane.tokenKubeConfig(token.status.token, `system:serviceaccount:${namespace}:${OPERATOR_NAME}`);
}

/**
 * A bearer token of a new ServiceAccount `name` in `namespace`, bound to a copy of the install's
 * reader ClusterRoles in `roles` (named after the namespace, like the operator's) and to nothing
 * else; no roles: a token the apiserver accepts for a user RBAC grants nothing the operator serves.
 */
export async function readerToken(
  cluster: ControlPlaneClients,
  namespace: string,
  name: string,
  roles: (keyof typeof READER_ROLES)[],
): Promise<string> {
  const { readerRoles } = installRbac();
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  for (const role of roles) {
    const roleName = `${READER_ROLES[role].name}-${namespace}`;
    const exists = await rbac.readClusterRole({ name: roleName }).then(
      () => true,
      () => false,
    );
    if (!exists) await objects.create({ ...readerRoles[role], metadata: { ...readerRoles[role].metadata, name: roleName } } as RbacObject);
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${roleName}-${name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  if (!token.status?.token) throw new Error('the TokenRequest API returned no token');
  return token.status.token;
}
