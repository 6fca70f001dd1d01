/** Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) built from the served types. */
import { groupVersion, type ResourceType } from './resource-types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function coreVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

export function groupList(types: ResourceType[]) {
  const groups = new Map<string, Set<string>>();
  for (const t of types.filter((t) => t.group)) groups.set(t.group, (groups.get(t.group) ?? new Set()).add(t.version));
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

export function resourceList(types: ResourceType[], gv: string) {
  const served = types.filter((t) => groupVersion(t) === gv);
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: served.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: VERBS,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        ...(t.categories ? { categories: t.categories } : {}),
      },
      ...(t.status
        ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }]
        : []),
    ]),
  };
}

/** `/openapi/v3`: one document per group-version, which kubectl fetches to validate before it sends. */
export function openApiIndex(types: ResourceType[]) {
  const gvs = [...new Set(types.map(groupVersion))];
  return {
    paths: Object.fromEntries(
      gvs.map((gv) => {
        const path = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
        return [path, { serverRelativeURL: `/openapi/v3/${path}` }];
      }),
    ),
  };
}

/** The OpenAPI v3 document of one group-version: CRD kinds with their schema, built-ins left open. */
export function openApiDocument(types: ResourceType[], gv: string, schemaOf: (t: ResourceType) => object | undefined) {
  const served = types.filter((t) => groupVersion(t) === gv);
  if (served.length === 0) return undefined;
  const schemas = Object.fromEntries(
    served.map((t) => {
      const id = `${t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${t.version}.${t.kind}`;
      const schema = schemaOf(t) ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      return [id, { ...schema, 'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }] }];
    }),
  );
  // kubectl looks for the PATCH operation of a kind and its fieldValidation parameter to decide
  // that the server validates (so it need not validate client-side).
  const prefix = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
  const paths = Object.fromEntries(
    served.map((t) => [
      `${prefix}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`,
      {
        patch: {
          operationId: `patch${t.kind}`,
          parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        },
      },
    ]),
  );
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas } };
}
