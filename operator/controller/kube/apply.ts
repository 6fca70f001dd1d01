/**
 * Server-side apply of the children under one field manager, and pruning of children the platform
 * no longer wants. The operator forces its apply: it owns these objects, so a hand edit of a field
 * it sets is a drift to undo, not a conflict to report.
 */
import { PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { isNotFound } from './errors.js';

export const FIELD_MANAGER = 'pass-operator';

export async function applyObject(objects: KubernetesObjectApi, object: KubernetesObject): Promise<KubernetesObject> {
  return objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

export async function deleteObject(objects: KubernetesObjectApi, object: KubernetesObject): Promise<void> {
  try {
    await objects.delete(
      {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'Background',
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export const childKey = (o: KubernetesObject) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** Owned children that are not in the desired set. */
export function strayChildren(owned: KubernetesObject[], desired: KubernetesObject[]): KubernetesObject[] {
  const wanted = new Set(desired.map((d) => `${d.kind}/${d.metadata?.name}`));
  return owned.filter((o) => !wanted.has(`${o.kind}/${o.metadata?.name}`));
}
