import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadAll, load } from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { platformFixture } from '../operator/fixtures.js';
import { reconcile } from '../operator/reconcile/reconcile.js';
import { installObjects, serviceMonitorObjects } from './operator-install.js';
import { synthesizedFiles } from './synth.js';

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

/**
 * Renders our chart templates the way Helm would for the subset they use: `{{ .Values.a.b }}`,
 * `{{ .Release.Namespace }}`, raw strings {{`…`}} and a whole-file `{{- if .Values.x }} … {{- end }}`. Anything else
 * is an error, so a template that outgrows the subset fails here rather than rendering wrongly.
 */
function renderTemplate(text: string, values: Record<string, unknown>, namespace: string): string {
  const lookup = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], values);
  const guarded = /^((?:#.*\n)*)\{\{- if \.Values\.([\w.]+) \}\}\n([\s\S]*)\{\{- end \}\}\n$/.exec(text);
  const body = guarded ? (lookup(guarded[2] as string) ? (guarded[3] as string) : '') : text;
  // Raw strings ({{`…`}}) are literal text: set them aside so nothing inside them is evaluated.
  const raws: string[] = [];
  const shielded = body.replace(/\{\{`([^`]*)`\}\}/g, (_m, raw: string) => `@@raw${raws.push(raw) - 1}@@`);
  const rendered = shielded.replace(/\{\{(.*?)\}\}/g, (_m, expression: string) => {
    const e = expression.trim();
    if (e === '.Release.Namespace') return namespace;
    const value = /^\.Values\.([\w.]+)$/.exec(e);
    if (!value) throw new Error(`template uses unsupported syntax: {{${expression}}}`);
    const resolved = lookup(value[1] as string);
    if (resolved === undefined) throw new Error(`missing value ${value[1]}`);
    return String(resolved);
  });
  return rendered.replace(/@@raw(\d+)@@/g, (_m, index: string) => raws[Number(index)] ?? '');
}

const docs = (text: string) => loadAll(text).filter(Boolean) as Record<string, unknown>[];

describe('synth', () => {
  it('checked-in manifests and chart are what `npm run synth` writes', () => {
    for (const [path, text] of Object.entries(synthesizedFiles())) {
      assert.equal(readFileSync(join(root, path), 'utf8'), text, `${path} is stale: run npm run synth`);
    }
  });

  it('install manifests validate against the Kubernetes schemas', () => {
    const objects = installObjects();
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
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
    const { children } = reconcile({ platform: platformFixture(), observed: { children: [] }, now: new Date(0) });
    const builtIn = (children ?? []).filter((c) => MODELS[c.kind ?? '']);
    assert.ok(builtIn.length >= 13);
    for (const child of builtIn) validateAgainstKubernetesSchema(child as Record<string, unknown>);
  });

  it('the least-privilege role grants no wildcards and no deletecollection or escalate', () => {
    const role = installObjects().find((o) => o.kind === 'ClusterRole') as { rules: { resources: string[]; verbs: string[] }[] };
    for (const rule of role.rules) {
      assert.ok(!rule.resources.includes('*') && !rule.verbs.includes('*'));
      assert.ok(!rule.verbs.includes('deletecollection') && !rule.verbs.includes('escalate'));
    }
  });

  it('the Helm chart renders the same objects as synth', () => {
    const files = synthesizedFiles();
    const values = load(files['charts/pass-operator/values.yaml'] as string) as Record<string, unknown>;
    const crds = docs(files['charts/pass-operator/crds/passplatforms.passplatform.io.yaml'] as string);
    const rendered = docs(renderTemplate(files['charts/pass-operator/templates/operator.yaml'] as string, values, 'pass-system'));
    // The chart leaves the Namespace to `helm install --create-namespace`.
    const installed = installObjects().filter((o) => o.kind !== 'Namespace');
    assert.deepEqual([...crds, ...rendered].sort(byKindName), installed.sort(byKindName));

    const monitorTemplate = files['charts/pass-operator/templates/servicemonitor.yaml'] as string;
    assert.deepEqual(docs(renderTemplate(monitorTemplate, values, 'pass-system')), []);
    const enabled = { ...values, serviceMonitor: { enabled: true } };
    assert.deepEqual(docs(renderTemplate(monitorTemplate, enabled, 'pass-system')), serviceMonitorObjects());
  });

  it('chart values change what they should', () => {
    const files = synthesizedFiles();
    const values = load(files['charts/pass-operator/values.yaml'] as string) as Record<string, unknown>;
    const custom = {
      ...values,
      image: { repository: 'registry.campus/pass', tag: '2.0.0', pullPolicy: 'Always' },
      watchNamespace: 'campus',
      replicas: 3,
    };
    const rendered = docs(renderTemplate(files['charts/pass-operator/templates/operator.yaml'] as string, custom, 'ops'));
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: { replicas: number; template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } };
    };
    assert.equal(deployment.metadata.namespace, 'ops');
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.template.spec.containers[0]?.image, 'registry.campus/pass:2.0.0');
    assert.equal(deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'WATCH_NAMESPACE')?.value, 'campus');
    validateAgainstKubernetesSchema(deployment as unknown as Record<string, unknown>);
  });
});

function byKindName(a: Record<string, unknown>, b: Record<string, unknown>) {
  const key = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`;
  return key(a).localeCompare(key(b));
}
