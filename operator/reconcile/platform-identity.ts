/**
 * How the operator names a PassPlatform and ties objects to it, in one place: the work queue, the
 * autoscaling loop and cost tracking key platforms the same way, and every object it creates
 * (children, the autoscaler's state, the cost history) carries the same owner reference.
 */
import type { V1OwnerReference } from '@kubernetes/client-node';

/** `namespace/name`: the key of a platform in the work queue and in per-platform maps. */
export function platformKey(metadata: { namespace: string; name: string }): string {
  return `${metadata.namespace}/${metadata.name}`;
}

/** The controller owner reference: the object is garbage-collected with its PassPlatform. */
export function platformOwnerReference(platform: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; uid: string };
}): V1OwnerReference {
  return {
    apiVersion: platform.apiVersion,
    kind: platform.kind,
    name: platform.metadata.name,
    uid: platform.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
