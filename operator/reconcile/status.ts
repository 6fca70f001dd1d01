/**
 * The PassPlatform status: conditions `Ready`, `Progressing`, `Degraded` with `observedGeneration`,
 * and a phase that summarises them. A condition keeps its `lastTransitionTime` until its status
 * actually changes, as Kubernetes API conventions ask.
 */
import type { ChildReadiness } from './readiness.js';
import type { Condition, ConditionType, PassPlatformStatus } from '../../platform-api/v1alpha1/index.js';

export interface ConditionInput {
  type: ConditionType;
  status: Condition['status'];
  reason: string;
  message: string;
}

export function setConditions(previous: Condition[] | undefined, next: ConditionInput[], generation: number, now: Date): Condition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = before && before.status === c.status ? before.lastTransitionTime : now.toISOString();
    return { ...c, lastTransitionTime, observedGeneration: generation };
  });
}

function summarise(items: ChildReadiness[], limit = 4): string {
  const shown = items.slice(0, limit).map((i) => `${i.kind}/${i.name} (${i.detail})`);
  return items.length > limit ? `${shown.join(', ')} and ${items.length - limit} more` : shown.join(', ');
}

/** Conditions from the readiness of every desired child. */
export function childConditions(readiness: ChildReadiness[]): ConditionInput[] {
  const failed = readiness.filter((r) => r.state === 'failed');
  const pending = readiness.filter((r) => r.state === 'pending');
  const ready = failed.length === 0 && pending.length === 0;
  return [
    ready
      ? { type: 'Ready', status: 'True', reason: 'AllChildrenReady', message: `${readiness.length} children ready` }
      : {
          type: 'Ready',
          status: 'False',
          reason: failed.length ? 'ChildrenFailed' : 'ChildrenNotReady',
          message: summarise([...failed, ...pending]),
        },
    pending.length
      ? { type: 'Progressing', status: 'True', reason: 'Reconciling', message: `waiting for ${summarise(pending)}` }
      : { type: 'Progressing', status: 'False', reason: 'Reconciled', message: 'children match the spec' },
    failed.length
      ? { type: 'Degraded', status: 'True', reason: 'ChildrenFailed', message: summarise(failed) }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no child has failed' },
  ];
}

/** Conditions when the spec cannot be acted on: children are left as they are. */
export function invalidSpecConditions(message: string): ConditionInput[] {
  return [
    { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
    { type: 'Progressing', status: 'False', reason: 'InvalidSpec', message: 'waiting for a valid spec' },
    { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message },
  ];
}

export function phaseOf(conditions: ConditionInput[], deleting: boolean): NonNullable<PassPlatformStatus['phase']> {
  if (deleting) return 'Deleting';
  const is = (type: ConditionType) => conditions.find((c) => c.type === type)?.status === 'True';
  if (is('Degraded')) return 'Degraded';
  if (is('Ready')) return 'Ready';
  return 'Progressing';
}
