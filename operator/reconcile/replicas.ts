/**
 * Replica counts of the children: the autoscaler's wish when it has one, else what runs now, else
 * the minimum, always clamped to the spec's range for the component.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { childNames } from '../../cdk8s/platform/names.js';
import {
  COMPONENTS,
  type Component,
  type PassPlatformSpec,
  type ReplicaRange,
  type WorkerQueue,
} from '../../platform-api/v1alpha1/index.js';

import { SHARDS_ANNOTATION } from '../../cdk8s/platform/labels.js';

const NONE: ReplicaRange = { minReplicas: 0, maxReplicas: 0 };

/** The min/max the spec allows for a component (0..0 for a data store run outside the platform). */
export function componentRange(spec: PassPlatformSpec, component: Component): ReplicaRange {
  switch (component) {
    case 'api':
      return spec.api;
    case 'worker-uploads':
    case 'worker-reports':
      return spec.workers[component.slice('worker-'.length) as WorkerQueue];
    case 'postgres-replicas':
      return spec.database.mode === 'managed' && spec.database.managed ? spec.database.managed.readReplicas : NONE;
    case 'redis-shards':
      return spec.redis.mode === 'managed' && spec.redis.managed ? spec.redis.managed.shards : NONE;
  }
}

export function clamp(value: number, range: ReplicaRange): number {
  return Math.min(range.maxReplicas, Math.max(range.minReplicas, Math.round(value)));
}

type Named = KubernetesObject & { spec?: Record<string, unknown> };

function find(children: KubernetesObject[], kind: string, name: string): Named | undefined {
  return children.find((c) => c.kind === kind && c.metadata?.name === name) as Named | undefined;
}

/** Replicas a component runs now, read from its child as last observed. */
export function observedReplicas(platform: string, children: KubernetesObject[], component: Component): number | undefined {
  const names = childNames(platform);
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  switch (component) {
    case 'api':
      return num(find(children, 'Deployment', names.api)?.spec?.replicas);
    case 'worker-uploads':
    case 'worker-reports':
      return num(find(children, 'Deployment', names.worker(component.slice('worker-'.length)))?.spec?.replicas);
    case 'postgres-replicas': {
      const instances = num(find(children, 'Cluster', names.database)?.spec?.instances);
      return instances === undefined ? undefined : instances - 1;
    }
    case 'redis-shards': {
      const shards = find(children, 'StatefulSet', names.redis)?.metadata?.annotations?.[SHARDS_ANNOTATION];
      return shards === undefined ? undefined : Number(shards);
    }
  }
}

export interface ReplicaInputs {
  platform: string;
  spec: PassPlatformSpec;
  children: KubernetesObject[];
  wanted: Partial<Record<Component, number>>;
}

export function desiredReplicas({ platform, spec, children, wanted }: ReplicaInputs): Record<Component, number> {
  const entries = COMPONENTS.map((component) => {
    const range = componentRange(spec, component);
    const base = spec.autoscaling.enabled
      ? (wanted[component] ?? observedReplicas(platform, children, component) ?? range.minReplicas)
      : range.minReplicas;
    return [component, clamp(base, range)] as const;
  });
  return Object.fromEntries(entries) as Record<Component, number>;
}

/**
 * Redis pods to run. Growing is immediate (the cluster Job then joins the new nodes); shrinking
 * waits until the Job for the new layout has moved the slots off the nodes being removed.
 */
export function redisNodes(platform: string, spec: PassPlatformSpec, shards: number, children: KubernetesObject[]): number {
  const managed = spec.redis.managed;
  if (spec.redis.mode !== 'managed' || !managed) return 0;
  const names = childNames(platform);
  const wanted = shards * (1 + managed.replicasPerShard);
  const running = find(children, 'StatefulSet', names.redis)?.spec?.replicas;
  if (typeof running !== 'number' || running <= wanted) return wanted;
  const job = find(children, 'Job', names.redisClusterJob(shards, managed.replicasPerShard)) as
    (Named & { status?: { succeeded?: number } }) | undefined;
  return (job?.status?.succeeded ?? 0) > 0 ? wanted : running;
}
