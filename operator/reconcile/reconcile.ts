/**
 * Reconcile as a pure function: from a PassPlatform, the children as last observed, the
 * autoscaler's replica wishes, the clock and a source of fresh keys, it returns the children that
 * should exist, the status to write and the Events to record. Nothing here talks to Kubernetes,
 * reads the clock or draws random numbers: the controller passes all three in.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { buildPlatformChildren } from '../../cdk8s/platform/platform-chart.js';
import { childNames } from '../../cdk8s/platform/names.js';
import type { SlaClass } from '../../core/sla.js';
import { resolveKeys, type PlatformKeys } from './keys.js';
import { buildPlatformDashboards } from './dashboards.js';
import { withMonitoringDefaults } from './monitoring-defaults.js';
import { platformOwnerReference } from './platform-identity.js';
import { buildPlatformRuleGroups } from './rules.js';
import { childReadiness } from './readiness.js';
import { desiredReplicas, redisNodes } from './replicas.js';
import {
  compileStructuralSchema,
  specSchema,
  type Component,
  type MonitoringSpec,
  type PassPlatform,
  type PassPlatformSpec,
  type PassPlatformStatus,
  type ScalingDecisionRecord,
} from '../../platform-api/v1alpha1/index.js';
import { childConditions, invalidSpecConditions, phaseOf, setConditions, type ConditionInput } from './status.js';

/** What the autoscaler hands reconcile: replica wishes and the decisions behind them. */
export interface ScalingInput {
  replicas: Partial<Record<Component, number>>;
  decisions: ScalingDecisionRecord[];
  /** Set when the last run could not read (some of) its signals: which queries failed, and how. */
  signalsUnavailable?: string;
}

export interface ReconcileInput {
  platform: PassPlatform;
  observed: { children: KubernetesObject[] };
  scaling?: ScalingInput;
  /** SLA classes currently over target, when the autoscaler has read them. */
  slaViolations?: SlaClass[];
  now: Date;
  /** Fresh key material, called only when the observed keys Secret lacks some (the controller passes `generatePlatformKeys`). */
  generateKeys: () => PlatformKeys;
  /** The install's defaults for spec.monitoring (monitoring-defaults.ts). */
  monitoringDefaults?: MonitoringSpec;
}

export interface PlatformEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileResult {
  /** Children to apply; null leaves the current children untouched (invalid spec, deletion). */
  children: KubernetesObject[] | null;
  status: PassPlatformStatus;
  events: PlatformEvent[];
}

/** Decisions kept in status; older ones live in the operator's replica history. */
export const DECISIONS_KEPT = 20;

const validateSpec = compileStructuralSchema(specSchema);

export function reconcile(input: ReconcileInput): ReconcileResult {
  const { platform, now } = input;
  const previous = platform.status ?? {};
  const generation = platform.metadata.generation ?? 0;
  const deleting = Boolean(platform.metadata.deletionTimestamp);
  const statusWith = (conditions: ConditionInput[], extra: Partial<PassPlatformStatus>): PassPlatformStatus => ({
    ...previous,
    ...extra,
    phase: phaseOf(conditions, deleting),
    observedGeneration: generation,
    conditions: setConditions(previous.conditions, conditions, generation, now),
  });

  const spec = withMonitoringDefaults(structuredClone(platform.spec) as PassPlatformSpec, input.monitoringDefaults);
  const errors = validateSpec(spec).map((e) => `spec${e.field ? `.${e.field}` : ''}: ${e.message}`);
  if (errors.length) {
    const message = errors.join('; ');
    return {
      children: null,
      status: statusWith(invalidSpecConditions(message), {}),
      events: previous.conditions?.some((c) => c.reason === 'InvalidSpec' && c.message === message)
        ? []
        : [{ type: 'Warning', reason: 'InvalidSpec', message }],
    };
  }

  const { name, namespace } = platform.metadata;
  const observed = input.observed.children;
  const replicas = desiredReplicas({ platform: name, spec, children: observed, wanted: input.scaling?.replicas ?? {} });
  const existingKeys = observed.find((c) => c.kind === 'Secret' && c.metadata?.name === childNames(name).keys) as
    (KubernetesObject & { data?: Record<string, string> }) | undefined;
  const props = { name, namespace, spec };
  const children = buildPlatformChildren({
    ...props,
    replicas,
    keys: resolveKeys(existingKeys?.data, input.generateKeys),
    redisNodes: redisNodes(name, spec, replicas['redis-shards'], observed),
    ruleGroups: buildPlatformRuleGroups(props),
    dashboards: buildPlatformDashboards(props),
  }).map((child) => ownedBy(child, platform));

  const find = (child: KubernetesObject) => observed.find((o) => o.kind === child.kind && o.metadata?.name === child.metadata?.name);
  const readiness = children.map((child) => childReadiness(child, find(child)));
  const conditions = [...childConditions(readiness), ...scalingConditions(spec, previous, input.scaling)];
  const decisions = mergeDecisions(previous.decisions, input.scaling?.decisions ?? []);
  const status = statusWith(conditions, {
    replicas,
    decisions,
    slaState: input.slaViolations
      ? input.slaViolations.length
        ? `Violated: ${input.slaViolations.join(',')}`
        : 'Met'
      : (previous.slaState ?? 'Unknown'),
  });

  return {
    children: deleting ? null : children,
    status,
    events: eventsFor(
      previous,
      status,
      children.filter((c) => !find(c)),
      decisions,
    ),
  };
}

/**
 * `ScalingActive` while autoscaling is on: False naming the failing queries when the autoscaler
 * could not read its signals (it then holds). Without a fresh run (an operator just started) the
 * previous condition stands.
 */
function scalingConditions(spec: PassPlatformSpec, previous: PassPlatformStatus, scaling: ScalingInput | undefined): ConditionInput[] {
  if (!spec.autoscaling.enabled) return [];
  if (!scaling) {
    const before = previous.conditions?.find((c) => c.type === 'ScalingActive');
    return before ? [{ type: before.type, status: before.status, reason: before.reason, message: before.message }] : [];
  }
  return [
    scaling.signalsUnavailable
      ? { type: 'ScalingActive', status: 'False', reason: 'SignalsUnavailable', message: scaling.signalsUnavailable }
      : {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ReadingSignals',
          message: `reading signals from ${spec.autoscaling.prometheusUrl}`,
        },
  ];
}

function ownedBy(child: KubernetesObject, platform: PassPlatform): KubernetesObject {
  return {
    ...child,
    metadata: { ...child.metadata, namespace: platform.metadata.namespace, ownerReferences: [platformOwnerReference(platform)] },
  };
}

function mergeDecisions(previous: ScalingDecisionRecord[] | undefined, fresh: ScalingDecisionRecord[]): ScalingDecisionRecord[] {
  const key = (d: ScalingDecisionRecord) => `${d.component}@${d.time}`;
  const seen = new Set((previous ?? []).map(key));
  return [...(previous ?? []), ...fresh.filter((d) => !seen.has(key(d)))].slice(-DECISIONS_KEPT);
}

function eventsFor(
  previous: PassPlatformStatus,
  next: PassPlatformStatus,
  missing: KubernetesObject[],
  decisions: ScalingDecisionRecord[],
): PlatformEvent[] {
  const events: PlatformEvent[] = missing.map((c) => ({
    type: 'Normal',
    reason: 'Creating',
    message: `creating ${c.kind}/${c.metadata?.name}`,
  }));
  const known = new Set((previous.decisions ?? []).map((d) => `${d.component}@${d.time}`));
  for (const d of decisions.filter((d) => !known.has(`${d.component}@${d.time}`))) {
    events.push({ type: 'Normal', reason: 'Scaled', message: `${d.component} ${d.from} → ${d.to}: ${d.reason}` });
  }
  const condition = (s: PassPlatformStatus, type: string) => s.conditions?.find((c) => c.type === type);
  const ready = condition(next, 'Ready');
  if (ready?.status === 'True' && condition(previous, 'Ready')?.status !== 'True') {
    events.push({ type: 'Normal', reason: 'Ready', message: ready.message });
  }
  const scaling = condition(next, 'ScalingActive');
  if (scaling?.status === 'False' && condition(previous, 'ScalingActive')?.message !== scaling.message) {
    events.push({ type: 'Warning', reason: scaling.reason, message: scaling.message });
  }
  const degraded = condition(next, 'Degraded');
  if (degraded?.status === 'True' && condition(previous, 'Degraded')?.message !== degraded.message) {
    events.push({ type: 'Warning', reason: 'Degraded', message: degraded.message });
  }
  return events;
}
