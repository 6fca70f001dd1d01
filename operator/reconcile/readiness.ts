/**
 * Whether each child has become what was asked of it, read from the status its own controller
 * writes (Deployment and StatefulSet controllers, CloudNativePG, the Job controller).
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export type ChildState = 'ready' | 'pending' | 'failed';

export interface ChildReadiness {
  kind: string;
  name: string;
  state: ChildState;
  detail: string;
}

interface Observed extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

function rollout(child: Observed, wanted: number, ready: number): ChildReadiness['state'] {
  const generation = child.metadata?.generation ?? 0;
  const seen = num(child.status?.observedGeneration);
  return seen >= generation && ready >= wanted ? 'ready' : 'pending';
}

/** Readiness of one desired child given what is observed under its name (undefined: not there yet). */
export function childReadiness(desired: KubernetesObject, observed: KubernetesObject | undefined): ChildReadiness {
  const kind = desired.kind ?? '';
  const name = desired.metadata?.name ?? '';
  const result = (state: ChildState, detail: string): ChildReadiness => ({ kind, name, state, detail });
  if (!observed) return result('pending', 'not created yet');
  const child = observed as Observed;
  const status = child.status ?? {};
  switch (kind) {
    case 'Deployment': {
      const stalled = status.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
      if (stalled) return result('failed', stalled.message ?? stalled.reason ?? 'rollout stalled');
      const wanted = num(child.spec?.replicas);
      const ready = num(status.readyReplicas);
      return result(rollout(child, wanted, ready), `${ready}/${wanted} ready`);
    }
    case 'StatefulSet': {
      const wanted = num(child.spec?.replicas);
      const ready = num(status.readyReplicas);
      return result(rollout(child, wanted, ready), `${ready}/${wanted} ready`);
    }
    case 'Cluster': {
      const wanted = num(child.spec?.instances);
      const ready = num(status.readyInstances);
      return result(ready >= wanted ? 'ready' : 'pending', `${ready}/${wanted} instances ready`);
    }
    case 'Job': {
      if (status.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) return result('failed', 'job failed');
      return num(status.succeeded) > 0 ? result('ready', 'completed') : result('pending', 'running');
    }
    default:
      return result('ready', 'present');
  }
}
