/**
 * The kinds the test API server serves: a fixed set of built-ins, plus whatever the
 * CustomResourceDefinitions created at run time define (with their schema, status subresource and
 * printer columns).
 */
import { compileStructuralSchema, type ObjectValidator, type StructuralSchema } from '../../platform-api/v1alpha1/index.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  /** Has a `/status` subresource: the main resource ignores status writes and vice versa. */
  status: boolean;
  shortNames?: string[];
  categories?: string[];
  validate?: ObjectValidator;
  /** The CRD's OpenAPI schema, published under /openapi/v3. */
  schema?: StructuralSchema;
  printerColumns?: PrinterColumn[];
}

export const groupVersion = (t: Pick<ResourceType, 'group' | 'version'>) => (t.group ? `${t.group}/${t.version}` : t.version);
/** `deployments.apps`, as error messages name a resource. */
export const qualifiedResource = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);
export const typeId = (t: Pick<ResourceType, 'group' | 'version' | 'plural'>) => `${groupVersion(t)}/${t.plural}`;

function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, status: false, ...extra };
}

export const BUILTIN_TYPES: ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, { status: true, shortNames: ['ns'] }),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'Service', 'services', true, { status: true, shortNames: ['svc'], categories: ['all'] }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  builtin('', 'v1', 'Pod', 'pods', true, { status: true, shortNames: ['po'], categories: ['all'] }),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, { status: true, shortNames: ['deploy'], categories: ['all'] }),
  builtin('apps', 'v1', 'StatefulSet', 'statefulsets', true, { status: true, shortNames: ['sts'], categories: ['all'] }),
  builtin('batch', 'v1', 'Job', 'jobs', true, { status: true, categories: ['all'] }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { status: true, shortNames: ['pdb'] }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    status: true,
    shortNames: ['crd', 'crds'],
  }),
];

interface CrdVersion {
  name: string;
  served?: boolean;
  subresources?: { status?: object };
  schema?: { openAPIV3Schema?: StructuralSchema };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdObject {
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: CrdVersion[];
  };
}

/** One served type per served version of a CRD. */
export function typesFromCrd(crd: CrdObject): ResourceType[] {
  const { group, scope, names } = crd.spec;
  return crd.spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group,
      version: v.name,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: scope === 'Namespaced',
      status: Boolean(v.subresources?.status),
      shortNames: names.shortNames,
      categories: names.categories,
      validate: v.schema?.openAPIV3Schema ? compileStructuralSchema(structuredClone(v.schema.openAPIV3Schema)) : undefined,
      schema: v.schema?.openAPIV3Schema,
      printerColumns: v.additionalPrinterColumns,
    }));
}
