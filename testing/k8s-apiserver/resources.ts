/**
 * What the API server does to objects, independent of HTTP: admission (schema validation,
 * defaults, pruning), optimistic concurrency, generation, status subresource rules, finalizers,
 * garbage collection by owner reference, and registration of CRD-defined kinds.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import jsonPatch from 'fast-json-patch';
import { formatInvalid } from '../../platform-api/v1alpha1/index.js';
import { ApiError } from './api-error.js';
import { mergePatch, serverSideApply, strategicMergePatch } from './merge.js';
import {
  BUILTIN_TYPES,
  groupVersion,
  qualifiedResource,
  typeId,
  typesFromCrd,
  type CrdObject,
  type ResourceType,
} from './resource-types.js';
import { ObjectStore, type KObject } from './store.js';

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface Target {
  type: ResourceType;
  namespace?: string;
  name: string;
  /** `status` when the request addresses the status subresource. */
  subresource?: string;
}

const CRD_TYPE_ID = 'apiextensions.k8s.io/v1/customresourcedefinitions';

const specOf = (o: KObject) => {
  const { metadata: _m, status: _s, resourceVersion: _r, ...rest } = o;
  return rest;
};

export class Resources {
  readonly store = new ObjectStore();
  private custom: ResourceType[] = [];

  get types(): ResourceType[] {
    return [...BUILTIN_TYPES, ...this.custom];
  }

  findType(gv: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => groupVersion(t) === gv && t.plural === plural);
  }

  get(target: Target): KObject {
    const object = this.store.get(typeId(target.type), target.namespace, target.name);
    if (!object) throw ApiError.notFound(qualifiedResource(target.type), target.name);
    return object;
  }

  create(type: ResourceType, namespace: string | undefined, body: KObject): KObject {
    const object = structuredClone(body);
    object.metadata = { ...(object.metadata ?? {}) } as KObject['metadata'];
    // Typed clients may leave apiVersion and kind out; the URL already names them.
    object.apiVersion ??= groupVersion(type);
    object.kind ??= type.kind;
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    if (!object.metadata.name)
      throw ApiError.invalid(`${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    this.checkIdentity(type, namespace, object);
    if (this.store.get(typeId(type), namespace, object.metadata.name))
      throw ApiError.alreadyExists(qualifiedResource(type), object.metadata.name);
    // A resource with a status subresource starts without status: only its controller writes it.
    if (type.status && type.kind !== 'CustomResourceDefinition') delete object.status;
    Object.assign(object.metadata, {
      namespace,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
      generation: 1,
    });
    delete object.metadata.deletionTimestamp;
    this.admit(type, object);
    const created = this.store.write(typeId(type), object, 'ADDED');
    if (type.kind === 'CustomResourceDefinition') this.registerCrd(created);
    return created;
  }

  /** PUT: replace the object (or only its status), guarded by resourceVersion when given. */
  update(target: Target, body: KObject): KObject {
    const old = this.get(target);
    const sent = body.metadata?.resourceVersion;
    if (sent && sent !== old.metadata.resourceVersion) throw ApiError.conflict(qualifiedResource(target.type), target.name);
    return this.persist(target, old, structuredClone(body));
  }

  patch(target: Target, kind: PatchType, patch: unknown, fieldManager: string | undefined): KObject {
    const { type, namespace, name } = target;
    const old = this.store.get(typeId(type), namespace, name);
    if (kind === 'apply') {
      if (!fieldManager) throw ApiError.badRequest('PATCH with application/apply-patch+yaml requires a fieldManager');
      const applied = patch as KObject;
      const key = ObjectStore.key(typeId(type), namespace, name);
      const previous = this.store.applied.get(key)?.get(fieldManager);
      const result = old
        ? this.persist(target, old, serverSideApply(old, applied, previous) as KObject)
        : this.create(type, namespace, { ...applied, metadata: { ...applied.metadata, name } } as KObject);
      const managers = this.store.applied.get(key) ?? new Map<string, Record<string, unknown>>();
      managers.set(fieldManager, structuredClone(applied));
      this.store.applied.set(key, managers);
      return result;
    }
    if (!old) throw ApiError.notFound(qualifiedResource(type), name);
    let next: KObject;
    if (kind === 'json') {
      next = jsonPatch.applyPatch(structuredClone(old), patch as jsonPatch.Operation[], true, false).newDocument;
    } else {
      next = (kind === 'merge' ? mergePatch(old, patch) : strategicMergePatch(old, patch)) as KObject;
    }
    const sent = (patch as KObject).metadata?.resourceVersion;
    if (sent && sent !== old.metadata.resourceVersion) throw ApiError.conflict(qualifiedResource(type), name);
    return this.persist(target, old, next);
  }

  delete(target: Target, propagation: string | undefined): KObject {
    const old = this.get(target);
    if (propagation === 'Orphan') this.orphanDependents(old.metadata.uid);
    if (old.metadata.finalizers?.length) {
      if (old.metadata.deletionTimestamp) return old;
      old.metadata.deletionTimestamp = new Date().toISOString();
      return this.store.write(typeId(target.type), old, 'MODIFIED');
    }
    return this.removeNow(target.type, old);
  }

  private removeNow(type: ResourceType, object: KObject): KObject {
    const gone = this.store.remove(typeId(type), object);
    if (type.kind === 'CustomResourceDefinition') {
      const served = typesFromCrd(object as unknown as CrdObject).map(typeId);
      this.custom = this.custom.filter((t) => !served.includes(typeId(t)));
    }
    this.collectGarbage();
    return gone;
  }

  /** Deletes (in the background, as the default propagation does) every object whose owners are all gone. */
  private collectGarbage() {
    for (const { typeId: id, object } of this.store.all()) {
      const owners = object.metadata.ownerReferences ?? [];
      if (owners.length === 0 || owners.some((o) => this.store.existsUid(o.uid))) continue;
      const type = this.types.find((t) => typeId(t) === id);
      if (!type || !this.store.get(id, object.metadata.namespace, object.metadata.name)) continue;
      this.delete({ type, namespace: object.metadata.namespace, name: object.metadata.name }, 'Background');
    }
  }

  private orphanDependents(uid: string) {
    for (const { typeId: id, object } of this.store.all()) {
      const owners = object.metadata.ownerReferences ?? [];
      if (!owners.some((o) => o.uid === uid)) continue;
      object.metadata.ownerReferences = owners.filter((o) => o.uid !== uid);
      this.store.write(id, object, 'MODIFIED');
    }
  }

  private persist(target: Target, old: KObject, next: KObject): KObject {
    const { type } = target;
    let result: KObject;
    if (target.subresource === 'status') {
      result = { ...old, status: next.status };
    } else {
      result = { ...next };
      if (type.status) result.status = old.status;
      if (result.status === undefined) delete result.status;
    }
    result.apiVersion = old.apiVersion;
    result.kind = old.kind;
    result.metadata = {
      ...(target.subresource === 'status' ? old.metadata : next.metadata),
      name: old.metadata.name,
      namespace: old.metadata.namespace,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      resourceVersion: old.metadata.resourceVersion,
      generation: old.metadata.generation,
      ...(old.metadata.deletionTimestamp ? { deletionTimestamp: old.metadata.deletionTimestamp } : {}),
    };
    if (target.subresource !== 'status') this.admit(type, result);
    if (!isDeepStrictEqual(specOf(old), specOf(result))) result.metadata.generation = (old.metadata.generation ?? 0) + 1;
    if (isDeepStrictEqual(old, result)) return old;
    if (result.metadata.deletionTimestamp && !result.metadata.finalizers?.length) return this.removeNow(type, result);
    const written = this.store.write(typeId(type), result, 'MODIFIED');
    if (type.kind === 'CustomResourceDefinition') this.registerCrd(written);
    return written;
  }

  private checkIdentity(type: ResourceType, namespace: string | undefined, object: KObject) {
    const gv = groupVersion(type);
    if (object.apiVersion !== gv || object.kind !== type.kind) {
      throw ApiError.badRequest(
        `the API version in the data (${object.apiVersion}) and kind (${object.kind}) do not match ${gv} ${type.kind}`,
      );
    }
    const given = object.metadata.namespace;
    if (type.namespaced && given && given !== namespace) {
      throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }

  /** Schema validation with defaults and pruning for CRD-defined kinds; Secret stringData folding. */
  private admit(type: ResourceType, object: KObject) {
    if (type.validate) {
      const errors = type.validate(object);
      if (errors.length) {
        throw ApiError.invalid(formatInvalid(`${type.kind}.${type.group}`, object.metadata.name, errors), {
          name: object.metadata.name,
          group: type.group,
          kind: type.kind,
          causes: errors.map((e) => ({ reason: 'FieldValueInvalid', message: e.message, field: e.field })),
        });
      }
    }
    if (type.kind === 'Secret' && object.stringData) {
      const data = { ...((object.data as Record<string, string>) ?? {}) };
      for (const [k, v] of Object.entries(object.stringData as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
      object.data = data;
      delete object.stringData;
    }
  }

  private registerCrd(crd: KObject) {
    const served = typesFromCrd(crd as unknown as CrdObject);
    const ids = served.map(typeId);
    this.custom = [...this.custom.filter((t) => !ids.includes(typeId(t))), ...served];
    const names = (crd as unknown as CrdObject).spec.names;
    const status = {
      acceptedNames: names,
      storedVersions: (crd as unknown as CrdObject).spec.versions.map((v) => v.name),
      conditions: ['NamesAccepted', 'Established'].map((type) => ({
        type,
        status: 'True',
        reason: type === 'Established' ? 'InitialNamesAccepted' : 'NoConflicts',
        message: type === 'Established' ? 'the initial names have been accepted' : 'no conflicts found',
        lastTransitionTime: crd.metadata.creationTimestamp,
      })),
    };
    if (!isDeepStrictEqual(crd.status, status)) this.store.write(CRD_TYPE_ID, { ...crd, status }, 'MODIFIED');
  }
}
