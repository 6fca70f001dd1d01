/**
 * The three policies the simulator compares, each seeing only what it would see in a cluster:
 * - `hpa`: a HorizontalPodAutoscaler on CPU 70 % for every Deployment and for the CloudNativePG
 *   Cluster (its scale subresource); Redis shards cannot be resharded by an HPA and stay put;
 * - `keda`: the usual KEDA recipe — a Prometheus trigger on request rate for the API, a Redis list
 *   trigger on BullMQ's `wait` list for each worker queue (listLength 5, KEDA's default; jobs in
 *   `prioritized`, `delayed` and `active` are not in that list), metrics polled every 30 s, the
 *   HPA underneath with its default behaviour; Postgres on a CPU trigger, Redis fixed;
 * - `ours`: operator/autoscaler's `autoscale`, fed the signals operator/autoscaling/signals reads.
 */
import { autoscale, initialAutoscalerState } from '../operator/autoscaler/index.js';
import { cores } from '../operator/autoscaler/index.js';
import type { AutoscalerState } from '../operator/autoscaler/index.js';
import { WORKER_QUEUES, type Component, type PassPlatformSpec } from '../platform-api/v1alpha1/index.js';
import { averageValueRecommendation, cpuRecommendation, HPA_SYNC_SECONDS, HpaBehavior } from './hpa.js';
import type { PlatformModel } from './model.js';
import { TYPICAL_CPU_PER_REQUEST } from './workload.js';

export const POLICY_NAMES = ['hpa', 'keda', 'ours'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface Policy {
  readonly name: PolicyName;
  /** Called every model step; returns new replica counts when the policy acts. */
  decide(model: PlatformModel, now: number): Partial<Record<Component, number>> | undefined;
}

/** KEDA's Redis list trigger default. */
const KEDA_LIST_LENGTH = 5;
const KEDA_POLLING_SECONDS = 30;

type HpaTargets = Partial<Record<Component, HpaBehavior>>;

function hpaTargets(spec: PassPlatformSpec): HpaTargets {
  const targets: HpaTargets = {
    api: new HpaBehavior(spec.api.minReplicas, spec.api.maxReplicas),
    'worker-uploads': new HpaBehavior(spec.workers.uploads.minReplicas, spec.workers.uploads.maxReplicas),
    'worker-reports': new HpaBehavior(spec.workers.reports.minReplicas, spec.workers.reports.maxReplicas),
  };
  const replicas = spec.database.managed?.readReplicas;
  if (replicas) targets['postgres-replicas'] = new HpaBehavior(replicas.minReplicas, replicas.maxReplicas);
  return targets;
}

/** Runs `act` every `seconds`, starting at the first call. */
function every(seconds: number): (now: number) => boolean {
  let next = -Infinity;
  return (now) => {
    if (now < next) return false;
    next = now + seconds * 1000;
    return true;
  };
}

function cpuDesired(model: PlatformModel, component: Component, target: number, now: number): number {
  const fleet = model.fleets[component];
  const utilization = model.cpuUtilization(component);
  return utilization === undefined ? fleet.size : cpuRecommendation(fleet.pods, utilization, target, fleet.size, now);
}

export function hpaPolicy(spec: PassPlatformSpec): Policy {
  const targets = hpaTargets(spec);
  const due = every(HPA_SYNC_SECONDS);
  const target = spec.autoscaling.targetUtilization;
  return {
    name: 'hpa',
    decide(model, now) {
      if (!due(now)) return undefined;
      const replicas: Partial<Record<Component, number>> = {};
      for (const [component, behavior] of Object.entries(targets) as [Component, HpaBehavior][]) {
        const current = model.fleets[component].size;
        replicas[component] = behavior.next(current, cpuDesired(model, component, target, now), now);
      }
      return replicas;
    },
  };
}

export function kedaPolicy(spec: PassPlatformSpec): Policy {
  const targets = hpaTargets(spec);
  const sync = every(HPA_SYNC_SECONDS);
  const poll = every(KEDA_POLLING_SECONDS);
  const target = spec.autoscaling.targetUtilization;
  // The threshold a team would set after a load test of the usual mix: req/s one pod serves at 70 % CPU.
  const requestsPerPod = (target * cores(spec.api.resources.cpu)) / TYPICAL_CPU_PER_REQUEST;
  let requestRate = 0;
  const waitLength = { uploads: 0, reports: 0 };
  return {
    name: 'keda',
    decide(model, now) {
      if (poll(now)) {
        requestRate = model.requestRate();
        for (const queue of WORKER_QUEUES) waitLength[queue] = model.waitListLength(queue);
      }
      if (!sync(now)) return undefined;
      const replicas: Partial<Record<Component, number>> = {};
      for (const [component, behavior] of Object.entries(targets) as [Component, HpaBehavior][]) {
        const current = model.fleets[component].size;
        let recommended: number;
        if (component === 'api') recommended = averageValueRecommendation(requestRate, requestsPerPod, current);
        else if (component === 'worker-uploads') recommended = averageValueRecommendation(waitLength.uploads, KEDA_LIST_LENGTH, current);
        else if (component === 'worker-reports') recommended = averageValueRecommendation(waitLength.reports, KEDA_LIST_LENGTH, current);
        else recommended = cpuDesired(model, component, target, now);
        replicas[component] = behavior.next(current, recommended, now);
      }
      return replicas;
    },
  };
}

export function oursPolicy(spec: PassPlatformSpec, model: PlatformModel): Policy {
  const running = Object.fromEntries(Object.entries(model.fleets).map(([c, fleet]) => [c, fleet.size]));
  let state: AutoscalerState = initialAutoscalerState(running);
  const due = every(spec.autoscaling.intervalSeconds);
  return {
    name: 'ours',
    decide(current, now) {
      if (!due(now)) return undefined;
      const result = autoscale(spec, state, current.signals(now), now);
      state = result.state;
      return result.replicas;
    },
  };
}

export function createPolicy(name: PolicyName, spec: PassPlatformSpec, model: PlatformModel): Policy {
  if (name === 'hpa') return hpaPolicy(spec);
  if (name === 'keda') return kedaPolicy(spec);
  return oursPolicy(spec, model);
}
