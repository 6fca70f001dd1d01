/**
 * The policies the simulator compares, each seeing only what it would see in a cluster (the
 * scrapes of simulator/observe.ts, or for KEDA's Redis list trigger the live list length):
 * - `hpa`: a HorizontalPodAutoscaler on CPU (70 % of the request, the spec's target) for every
 *   Deployment and for the CloudNativePG Cluster (its scale subresource), default behaviour; Redis
 *   shards cannot be resharded by an HPA and stay put;
 * - `keda`: the usual KEDA recipe at its defaults — a Prometheus trigger on request rate for the
 *   API (threshold: req/s one pod serves at the target CPU on the usual mix), a Redis list trigger
 *   on BullMQ's `wait` list for each worker queue (listLength 5; jobs in `prioritized`, `delayed`
 *   and `active` are not in it), polled every 30 s, the HPA underneath; Postgres on CPU, Redis fixed;
 * - `tuned`: the stock recipe an expert would configure — a KEDA Prometheus trigger on the API's
 *   CPU at 50 % of its request, workers on waiting + prioritized + active jobs at half a pod's
 *   concurrency, read replicas on an HPA at CPU 50 % with a 600 s scale-down window;
 * - `ours`: operator/autoscaler's `autoscale`, fed the signals operator/autoscaling/signals reads.
 * Each takes a knob, the setting a team would turn to trade cost for latency (the frontier runs
 * it across a range): ours its targetUtilization, the others their target utilisation.
 */
import { autoscale, initialAutoscalerState } from '../operator/autoscaler/index.js';
import type { AutoscalerState } from '../operator/autoscaler/index.js';
import { WORKER_QUEUES, type Component, type PassPlatformSpec } from '../platform-api/v1alpha1/index.js';
import { averageValueRecommendation, cpuRecommendation, HPA_SYNC_SECONDS, HpaBehavior } from './hpa.js';
import { cores, type PlatformModel } from './model.js';
import type { Prometheus } from './observe.js';
import { TYPICAL_CPU_PER_REQUEST } from './workload.js';

export const POLICY_NAMES = ['hpa', 'keda', 'tuned', 'ours'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Each policy's knob when none is given: the defaults the names above describe. */
export const DEFAULT_KNOBS: Record<PolicyName, number> = { hpa: 0.7, keda: 0.7, tuned: 0.5, ours: 0.7 };

export interface Policy {
  readonly name: PolicyName;
  /** Called every model step; returns new replica counts when the policy acts. */
  decide(now: number): Partial<Record<Component, number>> | undefined;
}

/** KEDA's Redis list trigger default. */
const KEDA_LIST_LENGTH = 5;
const KEDA_POLLING_SECONDS = 30;
/** The tuned recipe's scale-down window for read replicas. */
const TUNED_REPLICA_SCALE_DOWN_SECONDS = 600;

type HpaTargets = Partial<Record<Component, HpaBehavior>>;

function hpaTargets(spec: PassPlatformSpec, replicaScaleDownSeconds?: number): HpaTargets {
  const targets: HpaTargets = {
    api: new HpaBehavior(spec.api.minReplicas, spec.api.maxReplicas),
    'worker-uploads': new HpaBehavior(spec.workers.uploads.minReplicas, spec.workers.uploads.maxReplicas),
    'worker-reports': new HpaBehavior(spec.workers.reports.minReplicas, spec.workers.reports.maxReplicas),
  };
  const replicas = spec.database.managed?.readReplicas;
  if (replicas) targets['postgres-replicas'] = new HpaBehavior(replicas.minReplicas, replicas.maxReplicas, replicaScaleDownSeconds);
  return targets;
}

/** True every `seconds`, starting at the first call. */
function every(seconds: number): (now: number) => boolean {
  let next = -Infinity;
  return (now) => {
    if (now < next) return false;
    next = now + seconds * 1000;
    return true;
  };
}

function requestCores(spec: PassPlatformSpec, component: Component): number {
  if (component === 'api') return cores(spec.api.resources.cpu);
  if (component === 'worker-uploads') return cores(spec.workers.uploads.resources.cpu);
  if (component === 'worker-reports') return cores(spec.workers.reports.resources.cpu);
  return cores(spec.database.managed?.resources.cpu ?? '1');
}

interface Observed {
  model: PlatformModel;
  prometheus: Prometheus;
}

function cpuDesired({ model, prometheus }: Observed, spec: PassPlatformSpec, component: Component, target: number, now: number): number {
  const fleet = model.fleets[component];
  const utilization = prometheus.cpuUtilization(component, now, requestCores(spec, component));
  return utilization === undefined ? fleet.size : cpuRecommendation(fleet.pods, utilization, target, fleet.size, now);
}

function hpaPolicy(spec: PassPlatformSpec, observed: Observed, target: number): Policy {
  const targets = hpaTargets(spec);
  const due = every(HPA_SYNC_SECONDS);
  return {
    name: 'hpa',
    decide(now) {
      if (!due(now)) return undefined;
      const replicas: Partial<Record<Component, number>> = {};
      for (const [component, behavior] of Object.entries(targets) as [Component, HpaBehavior][]) {
        const current = observed.model.fleets[component].size;
        replicas[component] = behavior.next(current, cpuDesired(observed, spec, component, target, now), now);
      }
      return replicas;
    },
  };
}

/** KEDA: triggers polled every 30 s, each feeding an HPA (AverageValue) that syncs every 15 s. */
function kedaLike(
  name: PolicyName,
  spec: PassPlatformSpec,
  observed: Observed,
  targets: HpaTargets,
  poll: (now: number) => Partial<Record<Component, (current: number) => number>>,
): Policy {
  const sync = every(HPA_SYNC_SECONDS);
  const polled = every(KEDA_POLLING_SECONDS);
  let recommenders: Partial<Record<Component, (current: number) => number>> = {};
  return {
    name,
    decide(now) {
      if (polled(now)) recommenders = poll(now);
      if (!sync(now)) return undefined;
      const replicas: Partial<Record<Component, number>> = {};
      for (const [component, behavior] of Object.entries(targets) as [Component, HpaBehavior][]) {
        const current = observed.model.fleets[component].size;
        const recommend = recommenders[component];
        replicas[component] = behavior.next(current, recommend ? recommend(current) : current, now);
      }
      return replicas;
    },
  };
}

function kedaPolicy(spec: PassPlatformSpec, observed: Observed, target: number): Policy {
  // The threshold a team would set after a load test of the usual mix: req/s one pod serves at the target CPU.
  const requestsPerPod = (target * cores(spec.api.resources.cpu)) / TYPICAL_CPU_PER_REQUEST;
  const targets = hpaTargets(spec);
  return kedaLike('keda', spec, observed, targets, (now) => {
    const rate = observed.prometheus.requestRate(now);
    // The Redis list trigger reads LLEN from Redis itself at each poll.
    const waiting = Object.fromEntries(WORKER_QUEUES.map((q) => [q, observed.model.exported.queues[q].waiting]));
    const postgres = cpuDesired(observed, spec, 'postgres-replicas', target, now);
    return {
      api: (current) => (rate === undefined ? current : averageValueRecommendation(rate, requestsPerPod, current)),
      'worker-uploads': (current) => averageValueRecommendation(waiting.uploads ?? 0, KEDA_LIST_LENGTH, current),
      'worker-reports': (current) => averageValueRecommendation(waiting.reports ?? 0, KEDA_LIST_LENGTH, current),
      'postgres-replicas': () => postgres,
    };
  });
}

function tunedPolicy(spec: PassPlatformSpec, observed: Observed, target: number): Policy {
  const targets = hpaTargets(spec, TUNED_REPLICA_SCALE_DOWN_SECONDS);
  const apiThreshold = target * cores(spec.api.resources.cpu);
  return kedaLike('tuned', spec, observed, targets, (now) => {
    const { prometheus } = observed;
    const apiCpu = prometheus.cpuCores('api', now);
    const jobs = Object.fromEntries(
      WORKER_QUEUES.map((q) => [q, prometheus.queueJobs(q, now, ['waiting', 'prioritized', 'active'])]),
    ) as Record<(typeof WORKER_QUEUES)[number], number | undefined>;
    const onJobs = (queue: (typeof WORKER_QUEUES)[number]) => (current: number) => {
      const count = jobs[queue];
      return count === undefined ? current : averageValueRecommendation(count, target * spec.workers[queue].concurrency, current);
    };
    const postgres = cpuDesired(observed, spec, 'postgres-replicas', target, now);
    return {
      api: (current) => (apiCpu === undefined ? current : averageValueRecommendation(apiCpu, apiThreshold, current)),
      'worker-uploads': onJobs('uploads'),
      'worker-reports': onJobs('reports'),
      'postgres-replicas': () => postgres,
    };
  });
}

function oursPolicy(spec: PassPlatformSpec, observed: Observed, target: number): Policy {
  const tuned: PassPlatformSpec = { ...spec, autoscaling: { ...spec.autoscaling, targetUtilization: target } };
  const running = Object.fromEntries(Object.entries(observed.model.fleets).map(([c, fleet]) => [c, fleet.size]));
  let state: AutoscalerState = initialAutoscalerState(running);
  const due = every(spec.autoscaling.intervalSeconds);
  return {
    name: 'ours',
    decide(now) {
      if (!due(now)) return undefined;
      const result = autoscale(tuned, state, observed.prometheus.signals(now), now);
      state = result.state;
      return result.replicas;
    },
  };
}

export function createPolicy(name: PolicyName, spec: PassPlatformSpec, observed: Observed, knob = DEFAULT_KNOBS[name]): Policy {
  if (name === 'hpa') return hpaPolicy(spec, observed, knob);
  if (name === 'keda') return kedaPolicy(spec, observed, knob);
  if (name === 'tuned') return tunedPolicy(spec, observed, knob);
  return oursPolicy(spec, observed, knob);
}
