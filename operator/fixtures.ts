/**
 * Test support: PassPlatform objects defaulted exactly as the API server defaults them (through
 * the CRD schema), and children marked ready the way their controllers would mark them.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  compileStructuralSchema,
  KIND,
  passPlatformOpenApiSchema,
  type PassPlatform,
} from '../platform-api/v1alpha1/index.js';

const admit = compileStructuralSchema(passPlatformOpenApiSchema);

export function platformManifest(name: string, namespace: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: KIND,
    metadata: { name, namespace },
    spec: { image: 'registry.example/passplatform', version: '1.0.0', ...spec },
  };
}

export function platformFixture(spec: Record<string, unknown> = {}, name = 'campus', namespace = 'default'): PassPlatform {
  const object = platformManifest(name, namespace, spec) as unknown as PassPlatform;
  const errors = admit(object);
  if (errors.length) throw new Error(`fixture spec is invalid: ${JSON.stringify(errors)}`);
  object.metadata.uid = `uid-${name}`;
  object.metadata.generation = 1;
  return object;
}

/** The status each child's own controller would write once it has done its work. */
export function readyStatus(child: KubernetesObject & { spec?: Record<string, unknown> }): Record<string, unknown> | undefined {
  const generation = child.metadata?.generation ?? 0;
  switch (child.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas: child.spec?.replicas,
        readyReplicas: child.spec?.replicas,
        updatedReplicas: child.spec?.replicas,
      };
    case 'Cluster':
      return { readyInstances: child.spec?.instances, phase: 'Cluster in healthy state' };
    case 'Job':
      return { succeeded: 1 };
    default:
      return undefined;
  }
}

export function asReady(children: KubernetesObject[]): KubernetesObject[] {
  return children.map((c) => {
    const status = readyStatus(c);
    return status ? { ...c, status } : c;
  });
}

/** Small pods (100m), so the load one test process makes spans several of them; autoscaling from `prometheusUrl`. */
export function smallAutoscaledPlatform(
  name: string,
  namespace: string,
  autoscaling: { prometheusUrl: string; intervalSeconds: number },
  extra: Record<string, unknown> = {},
) {
  return platformManifest(name, namespace, {
    api: { minReplicas: 1, maxReplicas: 20, resources: { cpu: '100m', memory: '128Mi' } },
    autoscaling,
    ...extra,
  });
}
