import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadAll } from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { platformFixture } from '../operator/fixtures.js';
import { generatePlatformKeys } from '../operator/controller/platform-keys.js';
import { reconcile } from '../operator/reconcile/reconcile.js';
import { installObjects, METRICS_SCRAPER, OPERATOR_NAME, READER_ROLES, serviceMonitorObjects } from './operator-install.js';
import { synthesizedFiles } from './synth.js';
import { binary } from '../testing/control-plane/binaries.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: never) => Validatable> = {
  CustomResourceDefinition,
  Deployment,
  StatefulSet,
  Job,
  PodDisruptionBudget,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  ConfigMap,
  Namespace,
  Secret,
  Service,
  ServiceAccount,
};

function validateAgainstKubernetesSchema(object: Record<string, unknown>) {
  const Model = MODELS[object.kind as string];
  assert.ok(Model, `no Kubernetes schema for ${String(object.kind)}`);
  new Model(object as never).validate();
}

const CHART = join(root, 'charts', 'pass-operator');

/** What the real `helm` renders from the chart (CRDs included, as `helm install` applies them). */
function helmTemplate(namespace: string, set: string[] = []): Record<string, unknown>[] {
  const args = ['template', 'pass-operator', CHART, '--namespace', namespace, '--include-crds', ...set.flatMap((s) => ['--set', s])];
  return docs(execFileSync(binary('helm'), args, { encoding: 'utf8', timeout: 120_000 }));
}

type Rule = { resources?: string[]; nonResourceURLs?: string[]; verbs: string[] };
const clusterRole = (name: string) =>
  installObjects().find((o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === name) as unknown as { rules: Rule[] };

const docs = (text: string) => loadAll(text).filter(Boolean) as Record<string, unknown>[];

describe('synth', () => {
  it('install manifests validate against the Kubernetes schemas', () => {
    const objects = installObjects();
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Namespace',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    for (const object of objects) validateAgainstKubernetesSchema(object);
  });

  it('a platform’s built-in children validate against the Kubernetes schemas', () => {
    const { children } = reconcile({
      platform: platformFixture(),
      observed: { children: [] },
      now: new Date(0),
      generateKeys: generatePlatformKeys,
    });
    const builtIn = (children ?? []).filter((c) => MODELS[c.kind ?? '']);
    assert.ok(builtIn.length >= 13);
    for (const child of builtIn) validateAgainstKubernetesSchema(child as Record<string, unknown>);
  });

  it('the least-privilege role grants no wildcards and no deletecollection or escalate', () => {
    const role = clusterRole(OPERATOR_NAME);
    for (const rule of role.rules) {
      assert.ok(!rule.resources?.includes('*') && !rule.verbs.includes('*'));
      assert.ok(!rule.verbs.includes('deletecollection') && !rule.verbs.includes('escalate'));
    }
  });

  it('the reader roles grant get on their paths only', () => {
    assert.deepEqual(clusterRole(READER_ROLES.metrics.name).rules, [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
    assert.deepEqual(clusterRole(READER_ROLES.cost.name).rules, [{ nonResourceURLs: ['/cost', '/cost/*'], verbs: ['get'] }]);
  });

  it("the operator's ServiceMonitor scrapes with the token of a ServiceAccount bound to the metrics reader", () => {
    const objects = serviceMonitorObjects();
    const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && (o.metadata as { name: string }).name === name);
    const monitor = named('ServiceMonitor', OPERATOR_NAME) as { spec: { endpoints: { authorization?: unknown }[] } };
    assert.deepEqual(monitor.spec.endpoints[0]?.authorization, {
      type: 'Bearer',
      credentials: { name: METRICS_SCRAPER.secret, key: 'token' },
    });
    const secret = named('Secret', METRICS_SCRAPER.secret) as { type: string; metadata: { annotations: Record<string, string> } };
    assert.equal(secret.type, 'kubernetes.io/service-account-token');
    assert.equal(secret.metadata.annotations['kubernetes.io/service-account.name'], METRICS_SCRAPER.serviceAccount);
    assert.ok(named('ServiceAccount', METRICS_SCRAPER.serviceAccount));
    const binding = named('ClusterRoleBinding', METRICS_SCRAPER.serviceAccount) as {
      roleRef: { name: string };
      subjects: { kind: string; name: string }[];
    };
    assert.equal(binding.roleRef.name, READER_ROLES.metrics.name);
    assert.deepEqual(
      binding.subjects.map((s) => `${s.kind}/${s.name}`),
      [`ServiceAccount/${METRICS_SCRAPER.serviceAccount}`],
    );
    for (const object of objects.filter((o) => MODELS[o.kind as string])) validateAgainstKubernetesSchema(object);
  });

  it('helm lint finds nothing to report in the chart, even in strict mode', () => {
    const output = execFileSync(binary('helm'), ['lint', '--strict', CHART], { encoding: 'utf8', timeout: 120_000 });
    assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.doesNotMatch(output, /\[(WARNING|ERROR)\]/);
  });

  it('helm template renders exactly the objects `npm run synth` writes', () => {
    const files = synthesizedFiles();
    // The chart leaves the Namespace to `helm install --create-namespace` (a release must not own it).
    const manifests = docs(files['cdk8s/manifests/pass-operator.yaml'] as string).filter((o) => o.kind !== 'Namespace');
    assert.deepEqual(helmTemplate('pass-system').sort(byKindName), manifests.sort(byKindName));
    const monitoring = docs(files['cdk8s/manifests/pass-operator-servicemonitor.yaml'] as string);
    const withMonitor = helmTemplate('pass-system', ['serviceMonitor.enabled=true']);
    assert.deepEqual(withMonitor.sort(byKindName), [...manifests, ...monitoring].sort(byKindName));
  });

  it('chart values change what they should', () => {
    const rendered = helmTemplate('ops', [
      'image.repository=registry.campus/pass',
      'image.tag=2.0.0',
      'image.pullPolicy=Always',
      'watchNamespace=campus',
      'replicas=3',
      'resources.requests.cpu=250m',
      'resources.requests.memory=300Mi',
      'resources.limits.memory=600Mi',
    ]);
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: {
        replicas: number;
        template: {
          spec: {
            containers: {
              image: string;
              imagePullPolicy: string;
              env: { name: string; value?: string }[];
              resources: { requests: Record<string, string>; limits: Record<string, string> };
            }[];
          };
        };
      };
    };
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.metadata.namespace, 'ops');
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(container?.image, 'registry.campus/pass:2.0.0');
    assert.equal(container?.imagePullPolicy, 'Always');
    assert.deepEqual(container?.resources, { requests: { cpu: '250m', memory: '300Mi' }, limits: { memory: '600Mi' } });
    assert.equal(container?.env.find((e) => e.name === 'WATCH_NAMESPACE')?.value, 'campus');
    validateAgainstKubernetesSchema(deployment as unknown as Record<string, unknown>);
  });

  it("monitoring values reach the operator as its spec.monitoring defaults, and the operator's own rules", () => {
    const set = [
      'serviceMonitor.enabled=true',
      'monitoring.runbookBaseUrl=https://wiki.campus.edu/oncall',
      'monitoring.ruleLabels=release\\=kps',
    ];
    const rendered = helmTemplate('ops', set);
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    };
    const env = deployment.spec.template.spec.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'DEFAULT_RUNBOOK_BASE_URL')?.value, 'https://wiki.campus.edu/oncall');
    assert.equal(env.find((e) => e.name === 'DEFAULT_RULE_LABELS')?.value, 'release=kps');
    const rule = rendered.find((o) => o.kind === 'PrometheusRule') as unknown as {
      spec: { groups: { rules: { annotations: Record<string, string> }[] }[] };
    };
    const urls = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.annotations.runbook_url));
    assert.ok(urls.length > 0 && urls.every((url) => url?.startsWith('https://wiki.campus.edu/oncall/')), urls.join(' '));
  });
});

function byKindName(a: Record<string, unknown>, b: Record<string, unknown>) {
  const key = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;
  return key(a).localeCompare(key(b));
}
