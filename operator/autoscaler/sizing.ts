/**
 * How many replicas each component needs to meet its SLA with headroom, from one reading of the
 * signals. Pure: no clock, no memory of past runs beyond the estimates passed in. Each function
 * returns a Need whose reason names the numbers it used, or no replica count when the signals it
 * depends on are missing (the stabiliser then holds the component where it is).
 */
import { parseQuantity } from '../cost/quantity.js';
import { SLA_CLASS_NAMES, type SlaClass } from '../../core/sla.js';
import {
  DEFAULT_AUTOSCALING,
  DEFAULT_REDIS_OPS_PER_SHARD,
  type PassPlatformSpec,
  type WorkerQueue,
} from '../../platform-api/v1alpha1/index.js';
import { podsForConnections } from './connections.js';
import { fitLine, queueScale, utilisationCeiling, type CurveAim, type Line, type WeightedFit } from './downstream.js';
import { minServers, waitQuantile } from './erlang.js';
import { COMPONENT_TUNING, POLICY } from './tuning.js';
import type { ApiSignals, AutoscalerState, Need, PostgresSignals, QueueSignals, RedisSignals } from './types.js';

/** The SLA class a queue's jobs are held to, from enqueue to done. */
export const QUEUE_SLA_CLASS: Record<WorkerQueue, SlaClass> = { uploads: 'uploads', reports: 'reports' };

/** Load to plan for: the measured value or a forecast above it, and which one won. */
export interface Plan {
  load: number;
  basis: 'measured' | 'trend' | 'seasonal';
  /** What the forecast rests on, for the decision's reason. */
  note?: string;
}
export type Planner = (measured: number) => Plan;

export interface SizingInput<S> {
  spec: PassPlatformSpec;
  state: AutoscalerState;
  signals: S | undefined;
  current: number;
  plan: Planner;
  /** Seconds from scale-up to serving, for how fast a backlog must drain. */
  startupSeconds: number;
  /** The read replicas' signals, for the API's headroom (apiHeadroom): none while they are at their aim. */
  readReplicas?: PostgresSignals | undefined;
}

export function cores(quantity: string): number {
  return parseQuantity(quantity).toNumber();
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 1 ? value.toFixed(2).replace(/\.?0+$/, '') : value.toPrecision(2);
}

function planText(plan: Plan): string {
  return plan.basis === 'measured' ? '' : ` (planning for ${fmt(plan.load)} from ${plan.note ?? plan.basis})`;
}

export function totalRate(rates: Partial<Record<SlaClass, number>> | undefined): number | undefined {
  if (!rates) return undefined;
  const values = Object.values(rates).filter((v): v is number => v !== undefined);
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Base latency of a class: learned (estimates.ts) at up to POLICY.maxUtilization of the pods' CPU,
 * where the processor sharing Erlang C does not model lands in it too; else the observed p95 but at
 * most half the SLA. Learning it only at low utilisation lost points on the frontier (session 28).
 */
export function baseLatency(spec: PassPlatformSpec, state: AutoscalerState, api: ApiSignals, slaClass: SlaClass): number {
  const learned = state.baseLatencySeconds[slaClass];
  if (learned !== undefined) return learned;
  const half = spec.sla[slaClass] / 2;
  return Math.min(api.p95LatencySeconds?.[slaClass] ?? half, half);
}

/**
 * The p95 above which a class counts as missed for the measured-miss step (sizeApi): its SLA at
 * and below the spec default; above it the knob's own aim, the base latency plus the SLA's
 * queueing part × knobQueueScale, the same trade the knob makes on every learned curve. There
 * the team has chosen p95s past the SLA for dollars: a step on every such "miss" bought back what
 * the knob had given up (knob 1 dearer than the HPA at 80 %, its pods at the knob's CPU missing
 * `auth` by design).
 */
function toleratedLatency(sla: number, baseSeconds: number, queueScale: number): number {
  const base = Math.min(baseSeconds, sla);
  return base + (sla - base) * queueScale;
}

/**
 * API pods: an M/M/c queue with one server per pod, service rate = pod cores / CPU seconds per
 * request. The fewest pods whose p95 wait fits the tightest class budget (SLA × target ratio −
 * base latency) at the planned rate, plus a reactive step when the SLA is missed on busy pods.
 */
export function sizeApi(input: SizingInput<ApiSignals>): Need {
  const { spec, state, signals: api, current } = input;
  const rate = totalRate(api?.requestRate);
  if (!api || rate === undefined) return { reason: 'api: request rate missing or stale; holding', signals: {} };
  const podCores = cores(spec.api.resources.cpu);
  const cpuPerRequest = state.apiCpuSecondsPerRequest ?? (api.cpuCores !== undefined && rate > 0 ? api.cpuCores / rate : undefined);
  const signals: Record<string, number> = { requestRate: rate };
  if (api.cpuCores !== undefined) signals.cpuCores = api.cpuCores;
  if (cpuPerRequest === undefined) return { reason: `api: ${fmt(rate)} req/s but no CPU signal to size with; holding`, signals };
  signals.cpuSecondsPerRequest = cpuPerRequest;
  const plan = input.plan(rate);
  signals.plannedRate = plan.load;
  const arrival = plan.load * (1 + POLICY.surgeAllowance);
  const serviceRate = podCores / cpuPerRequest;
  /** Pods that carry `load` req/s at `utilisation` of their CPU. */
  const podsAt = (load: number, utilisation: number) => Math.ceil((load * cpuPerRequest) / (podCores * utilisation));

  const scale = knobQueueScale(spec);
  let tightest: { slaClass: SlaClass; budget: number } | undefined;
  const missed: string[] = [];
  const pastBase: string[] = [];
  for (const slaClass of SLA_CLASS_NAMES) {
    if (!(api.requestRate?.[slaClass] ?? 0)) continue;
    const sla = spec.sla[slaClass];
    const base = baseLatency(spec, state, api, slaClass);
    const observed = api.p95LatencySeconds?.[slaClass];
    if (observed !== undefined) {
      signals[`p95.${slaClass}`] = observed;
      const tolerated = toleratedLatency(sla, base, scale);
      if (observed > tolerated) {
        // No step on a class whose learned base latency (its p95 less the wait the model explains)
        // is at or past its SLA: its miss can't be told from its base. Either it is slow by itself
        // and pods can't help, or its base was learned from a backlog (at knob 1 on the gate rush,
        // seed 1: auth at 28.5 s, 19 s, 11 s). With the step, such a base collapsed the knob's aim
        // to the SLA itself, so a cheap knob stepped on every p95 over the SLA and bought back what
        // the knob gave up. Without it, seeds 1–5, knob 1: the k6 ramp 86.8 → 136.6 minutes for
        // $1.13 → $1.05, the week $228.22 → $223.68. What it costs: a real queue behind a polluted
        // base goes unanswered (the gate rush at the default: 8.2 → 9.4 minutes).
        if (base >= sla) {
          pastBase.push(
            `${slaClass} p95 ${fmt(observed)} s over its SLA ${fmt(sla)} s, its learned base latency ${fmt(base)} s at or past it: no step`,
          );
        } else {
          const aim = tolerated > sla ? ` (the knob's aim; SLA ${fmt(sla)} s)` : '';
          missed.push(`${slaClass} p95 ${fmt(observed)} s > ${fmt(tolerated)} s${aim}`);
        }
      }
    }
    const budget = sla * POLICY.latencyTargetRatio - base;
    if (budget > 0 && (!tightest || budget < tightest.budget)) tightest = { slaClass, budget };
  }
  const limit = spec.api.maxReplicas * 4;
  let replicas: number;
  let minimum: number;
  let why: string;
  if (tightest) {
    const options = { maxUtilization: POLICY.maxUtilization, limit };
    // Above the default the knob lets every queue wait its queueScale × what the SLA's point allows
    // (knobAim, ADR 0006), the pods' own queue too: sized on the bare budget, a cheap knob's fleet
    // was set by a class whose base latency left it microseconds (auth at 0.00036 s: 10 pods where
    // 7 carried the load at the knob's CPU) whatever the knob said.
    const budget = tightest.budget * scale;
    replicas = minServers(arrival, serviceRate, budget, options);
    minimum = minServers(plan.load, serviceRate, budget, options);
    const wait = waitQuantile(replicas, arrival, serviceRate);
    why = `tightest wait budget ${tightest.slaClass} ${fmt(tightest.budget)} s${knobScaleText(spec)} → ${replicas} pods (Erlang C p95 wait ${fmt(wait)} s)`;
  } else {
    replicas = podsAt(arrival, spec.autoscaling.targetUtilization);
    minimum = podsAt(plan.load, spec.autoscaling.targetUtilization);
    why = `no class has a wait budget left → ${replicas} pods at ${fmt(spec.autoscaling.targetUtilization)} utilisation`;
  }
  // The queue's own need at the knob's CPU, before any learned curve: what the headroom is sized on.
  const queued = {
    replicas: Math.max(replicas, podsAt(arrival, spec.autoscaling.targetUtilization)),
    minimum: Math.max(minimum, podsAt(plan.load, spec.autoscaling.targetUtilization)),
  };
  // Pods on CPU: the planned CPU at the target utilisation, or lower where a class's learned
  // latency curve says its p95 reaches the SLA sooner (a CPU-bound class on a half-core pod).
  const ceiling = apiLatencyCeiling(spec, state, api);
  const apiTarget = Math.min(spec.autoscaling.targetUtilization, ceiling?.utilisation ?? 1);
  const onCpu = podsAt(arrival, apiTarget);
  if (onCpu > replicas) {
    replicas = onCpu;
    minimum = Math.max(minimum, podsAt(plan.load, apiTarget));
    why = `${why}; ${fmt(arrival * cpuPerRequest)} cores at ${fmt(apiTarget * 100)} % of ${fmt(podCores)}${ceiling && ceiling.utilisation < spec.autoscaling.targetUtilization ? ` (${ceiling.reason})` : ''} → ${replicas} pods`;
  }
  if (ceiling) signals.latencyCeiling = ceiling.utilisation;
  // The pods the queue and the sockets need, before the headroom: what the measured-miss step
  // below weighs against the pods running.
  let modelled = replicas;
  // The headroom is on the queue's need: a learned curve's lower ceiling is headroom already, and
  // on a curve fitted while the replicas were overloaded (month end: ≤ 20 % for student_queries)
  // √n more on its 39 pods bought nothing.
  const headroom = apiHeadroom(spec, state, input.readReplicas, plan);
  const withHeadroom = queued.replicas + headroomPods(headroom.beta, queued.replicas);
  if (withHeadroom > replicas) {
    replicas = withHeadroom;
    why += `; headroom ⌈${fmt(headroom.beta)} × √${queued.replicas}⌉ on the queue's ${queued.replicas} → ${replicas} pods`;
  } else if (headroom.withheld) why += `; ${headroom.withheld}`;
  if (headroom.inTrigger) minimum = Math.max(minimum, queued.minimum + headroomPods(headroom.beta, queued.minimum));
  const sockets = podsForConnections(api);
  if (sockets && sockets.pods > replicas) {
    // Requests may need fewer pods than the open sockets do: the sockets win.
    replicas = sockets.pods;
    minimum = Math.max(minimum, sockets.pods);
    modelled = Math.max(modelled, sockets.pods);
    why += `; ${sockets.reason}`;
  }
  if (api.realtimeConnections !== undefined) signals.realtimeConnections = api.realtimeConnections;
  const utilisation = api.cpuCores !== undefined ? api.cpuCores / (Math.max(1, api.readyPods ?? current) * podCores) : undefined;
  const allReady = (api.readyPods ?? current) >= current;
  const busy = spec.autoscaling.targetUtilization * POLICY.measuredMissBusyShare;
  if (missed.length && utilisation !== undefined && utilisation >= busy && allReady && modelled <= current) {
    // The model says the fleet is big enough but the SLA is missed on busy pods: trust the measurement.
    // "Busy" is a share of the knob's utilisation (POLICY.measuredMissBusyShare): processor sharing
    // stretches a CPU-bound request well before the pods reach the knob's aim (2.5 × at 60 %).
    replicas = Math.max(replicas, current + Math.max(1, Math.ceil(current * spec.alerts.latencyIncreaseRatio)));
    minimum = replicas;
    why += `; SLA missed at ${fmt(utilisation * 100)} % CPU → ${replicas} pods`;
  }
  return {
    replicas,
    minimum,
    urgent: missed.length > 0,
    reason: `api: ${fmt(rate)} req/s${planText(plan)}, ${fmt(cpuPerRequest * 1000)} ms CPU/request; ${why}${missed.length ? `; ${missed.join(', ')}` : ''}${pastBase.map((note) => `; ${note}`).join('')}`,
    signals,
  };
}

/**
 * Pods the API keeps beyond what its queue needs: ⌈β √n⌉ on the n pods of its Erlang C and CPU
 * rules at the knob, the square-root staffing rule's safety term (a fleet's load varies about as
 * the square root of its size), β = 1 at the spec default fading to none at knob 1. A violation
 * minute counts the same at 140 req/s as at 1,000, so headroom while the fleet is small is cheap:
 * on the k6 ramp ours at 0.7 and the HPA at 40 % both cost $1.42, the HPA placing 12 pods at the
 * start where ours placed 6, and ours lost 29.2 minutes to its 12.6 (docs/simulation/README.md,
 * sessions 24 and 25). None while the read replicas run at or over their own aim
 * (replicaUtilization): there the requests wait on the database, and pods that add to its load buy
 * nothing back. It is a step in the API's size on another component's signal, so a reading either
 * side of that aim must not flap the fleet: the scale-up trigger (`minimum`) counts the headroom
 * only on a rise the forecast sees (trend or seasonal), and only while the replicas are under their
 * aim by the surge allowance. On a flat load a scale-up then needs the bare queue's need past the
 * pods running, as without headroom, and the headroom rides along with it.
 */
interface ApiHeadroom {
  /** β: 1 at the spec default, none at knob 1; 0 while the read replicas are at their aim. */
  beta: number;
  /** Whether the scale-up trigger counts the headroom too (see above). */
  inTrigger: boolean;
  /** Why there is none, when the replicas hold it back. */
  withheld?: string;
}

function apiHeadroom(spec: PassPlatformSpec, state: AutoscalerState, pg: PostgresSignals | undefined, plan: Plan): ApiHeadroom {
  const beta = Math.max(0, (1 - spec.autoscaling.targetUtilization) / (1 - DEFAULT_AUTOSCALING.targetUtilization));
  const replicaCores = spec.database.managed ? cores(spec.database.managed.resources.cpu) : undefined;
  const load = pg && replicaLoadCores(pg, state);
  const ready = pg?.readyReplicas;
  const busy = replicaCores && load !== undefined && ready ? load / (ready * replicaCores) : 0;
  const aim = replicaUtilization(spec);
  if (beta > 0 && busy >= aim)
    return { beta: 0, inTrigger: false, withheld: `no headroom: read replicas at ${fmt(busy * 100)} % ≥ their ${fmt(aim * 100)} %` };
  return { beta, inTrigger: plan.basis !== 'measured' && busy * (1 + POLICY.surgeAllowance) < aim };
}

/**
 * ⌈β √pods⌉, less a hair before rounding up: β from a knob's floating point (0.2 / 0.3) times a
 * whole √n must not round 1.9999999999999991 or 2.0000000000000004 to different counts.
 */
function headroomPods(beta: number, pods: number): number {
  return beta > 0 && pods > 0 ? Math.ceil(beta * Math.sqrt(pods) - 1e-9) : 0;
}

/**
 * The point of a learned curve the knob picks (downstream.ts CurveAim); the spec default picks the
 * SLA's point. Above the default, the SLA point's queueing part scaled like a CPU-sized component's
 * queue factor (queueScale: the cost-weighted optimum, docs/adr/0006-autoscaler-decisions.md).
 * Below it, the SLA point's utilisation × knob / default. There the team buys headroom against load
 * no forecast saw: a CPU-sized component at knob u takes default / u times the load before it is
 * where the default would run it, and a curve-sized one gets the same factor before its SLA's
 * point. Scaling the queueing part there too bought far more: at 0.5 a queueing part 0.43 × the
 * SLA point's, the replicas at 22 % where the SLA's point was 39 % (gate rush, seed 1) and the
 * tuned baseline at 30–40 % CPU lost fewer minutes for less.
 */
function knobAim(spec: PassPlatformSpec): CurveAim {
  const knob = spec.autoscaling.targetUtilization;
  const reference = DEFAULT_AUTOSCALING.targetUtilization;
  return knob > reference ? { queueScale: queueScale(knob, reference), loadScale: 1 } : { queueScale: 1, loadScale: knob / reference };
}

/** How far the knob moves a learned curve's queueing part: above the default only (knobAim). */
function knobQueueScale(spec: PassPlatformSpec): number {
  return knobAim(spec).queueScale;
}

/** A decision's words for a wait budget the knob scales (knobQueueScale): nothing at or below the default. */
function knobScaleText(spec: PassPlatformSpec): string {
  const scale = knobQueueScale(spec);
  return scale > 1 ? ` × ${fmt(scale)} at knob ${fmt(spec.autoscaling.targetUtilization)}` : '';
}

/**
 * The least utilisation a learned curve may size for: the floor (POLICY.downstreamFloorUtilization)
 * at and below the spec default; above it, the floor's queueing factor ρ / (1 − ρ) scaled like the
 * curve's aim (knobQueueScale). The floor is what a curve gets when it says even idle capacity
 * would miss the SLA's mark (a base latency near the SLA, a noisy fit): more capacity then buys a
 * little of the queueing part and none of the rest. At the cheap end the team has said a request's
 * wait is worth less, so that hopeless case is bought at the same discount as every other queue:
 * 49 % at 0.9, 67 % at 0.95. On the week at 0.9 (seed 1) the 20 % floor sent the API to its 60-pod
 * maximum for an hour or more on most weekdays (auth at 0.16 + 0.021 s / (1 − ρ) against 0.18 s).
 */
function knobFloor(spec: PassPlatformSpec): number {
  const floor = POLICY.downstreamFloorUtilization;
  const queue = (knobQueueScale(spec) * floor) / (1 - floor);
  return queue / (1 + queue);
}

/** What the point picked on a curve means, for the decision's reason. */
function aimText(spec: PassPlatformSpec, utilisation: number, holds: string): string {
  const { queueScale: scale, loadScale } = knobAim(spec);
  const knob = `at knob ${fmt(spec.autoscaling.targetUtilization)}`;
  if (scale !== 1) return `≤ ${fmt(utilisation * 100)} % ${knob} (${fmt(scale)} × the queueing that keeps ${holds})`;
  if (loadScale !== 1) return `≤ ${fmt(utilisation * 100)} % ${knob} (${fmt(loadScale)} × the utilisation that keeps ${holds})`;
  return `≤ ${fmt(utilisation * 100)} % keeps ${holds}`;
}

/**
 * The utilisation at which a learned latency line (downstream.ts) reaches `maxMeanSeconds`, with
 * the line; undefined while the fit is too thin or too flat to trust.
 */
function learnedCeiling(
  fit: WeightedFit | undefined,
  spec: PassPlatformSpec,
  maxMeanSeconds: number,
): { line: Line; utilisation: number } | undefined {
  const line = fitLine(fit, POLICY.downstreamMinWeight);
  const utilisation = utilisationCeiling(line, maxMeanSeconds, {
    minSlopeT: POLICY.downstreamMinSlopeT,
    minSpreadX: POLICY.downstreamMinSpreadX,
    floor: knobFloor(spec),
    // The knob picks the point of the curve: the spec default aims where the line reaches the SLA's mark.
    aim: knobAim(spec),
  });
  return line && utilisation !== undefined ? { line, utilisation } : undefined;
}

/** The lowest API utilisation ceiling any class's learned latency curve asks for (downstream.ts). */
export function apiLatencyCeiling(
  spec: PassPlatformSpec,
  state: AutoscalerState,
  api: ApiSignals,
): { utilisation: number; reason: string } | undefined {
  let lowest: { utilisation: number; reason: string } | undefined;
  for (const slaClass of SLA_CLASS_NAMES) {
    if (!(api.requestRate?.[slaClass] ?? 0)) continue;
    const ceiling = learnedCeiling(state.apiLatencyFit?.[slaClass], spec, spec.sla[slaClass] * POLICY.latencyTargetRatio);
    if (!ceiling || (lowest && lowest.utilisation <= ceiling.utilisation)) continue;
    const { line, utilisation } = ceiling;
    lowest = {
      utilisation,
      reason: `${slaClass} p95 ${fmt(line.intercept)} + ${fmt(line.slope)} s / (1 − ρ): ${aimText(spec, utilisation, 'it in its SLA')}`,
    };
  }
  return lowest;
}

/**
 * Worker pods: slots (pods × concurrency) as an M/M/c queue for the arrivals, plus enough extra
 * service to drain the backlog by the time new pods are serving. Counts waiting and prioritized
 * jobs (BullMQ keeps prioritized ones out of the `wait` list); delayed jobs are not due yet.
 */
export function sizeWorker(input: SizingInput<QueueSignals> & { queue: WorkerQueue }): Need {
  const { spec, state, signals: q, queue } = input;
  const name = `worker-${queue}`;
  if (!q || (q.waiting === undefined && q.prioritized === undefined)) {
    return { reason: `${name}: queue depth missing or stale; holding`, signals: {} };
  }
  const backlog = (q.waiting ?? 0) + (q.prioritized ?? 0);
  const arrivalRate = q.arrivalRate ?? q.completionRate ?? 0;
  const duration = state.jobDurationSeconds[queue] ?? q.meanJobDurationSeconds;
  const signals: Record<string, number> = { backlog, arrivalRate };
  if (q.oldestWaitingAgeSeconds !== undefined) signals.oldestWaitingAgeSeconds = q.oldestWaitingAgeSeconds;
  if (duration === undefined) return { reason: `${name}: ${backlog} jobs waiting but no job duration measured yet; holding`, signals };
  signals.jobDurationSeconds = duration;
  const durationP95 = q.p95JobDurationSeconds ?? duration * 2;
  const target = spec.sla[QUEUE_SLA_CLASS[queue]];
  // When jobs alone take the whole SLA (the bottleneck is downstream, usually the replicas) any
  // wait for a slot pushes a job over it: size so that at most the SLA's exceed share waits at all
  // (a p95 wait of 0). More slots do not add load downstream in steady state (the arrivals set it),
  // and a worker pod costs a fraction of the replica capacity that would otherwise buy the wait back.
  const slack = target * POLICY.latencyTargetRatio - durationP95;
  const scale = knobQueueScale(spec);
  // Above the spec default the jobs' wait budget scales like the API's and every learned curve's
  // queueing part (knobQueueScale): the team has said a wait is worth less there, and upload pods
  // sized to the bare slack at knob 1 cost the upload deadline $0.14 where the HPA at 80 % spent
  // $0.08 (seeds 1-5); scaled, $0.11, and the trace's point 73.2 min $5.14 → 49.0 min $5.08.
  const waitBudget = slack > 0 ? slack * scale : 0;
  // Without a budget, the share of jobs let wait at all is the SLA's exceed share. Below the spec
  // default it stays there: stricter, the extra report pods took connections from the API's budget
  // and cost minutes (month end at 0.6, seeds 1-5: 48.0 → 58.6 min). Above it the share scales like
  // every learned curve's queueing part (knobQueueScale): there the replicas' aim already runs the
  // jobs past their SLA, and slots that keep them from waiting buy no minute back. And above it, once
  // the jobs' own p95 is over the SLA, more than the SLA's share of them miss it without waiting: no
  // number of slots keeps such a minute in its SLA, so the slots are sized for throughput (at most
  // maxUtilization busy, plus the backlog's drain below). On the week at knob 0.9 (seed 1) report
  // jobs read a p95 of 6.9-9.5 s all day, and slots that kept 81 % of them from waiting held 3-4
  // report pods where 2 carry the arrivals. Not at the default: there the p95 crosses the SLA only
  // for minutes and histogram_quantile over-reads it; the same rule at 0.7 cost 153 → 260
  // queue:reports minutes on that week for no dollar saved.
  const lost = scale > 1 && durationP95 > target;
  const waitShare = lost ? 1 : slack > 0 ? POLICY.slaExceedFraction : Math.min(1, POLICY.slaExceedFraction * Math.max(1, scale));
  const scaledBy = knobScaleText(spec);
  const budgetText = lost
    ? `, p95 job ${fmt(durationP95)} s is over the ${fmt(target)} s SLA without waiting: slots for throughput`
    : slack <= 0
      ? `, p95 job ${fmt(durationP95)} s leaves no wait budget: slots so at most ${fmt(waitShare * 100)} % of jobs wait`
      : scaledBy
        ? `, wait budget ${fmt(slack)} s${scaledBy}`
        : '';
  const plan = input.plan(arrivalRate);
  signals.plannedArrivalRate = plan.load;
  const arrival = plan.load * (1 + POLICY.surgeAllowance);
  const { concurrency, maxReplicas } = spec.workers[queue];
  const limit = maxReplicas * 4 * concurrency;
  const drainSeconds = input.startupSeconds + spec.autoscaling.intervalSeconds + (slack > 0 ? slack : 0);
  // Above the default, jobs seen to wait on the replicas (a rising learned line) get at most one
  // slot per replica core (replicaCoreSlots); a lost queue's slots also run at the jobs' idle pace.
  const waitsOnReplicas = scale > 1 ? risingDependence(state, queue) : undefined;
  const dependence = lost ? waitsOnReplicas : undefined;
  const slotDuration = dependence ? ownPace(dependence, duration) : duration;
  const slotsFor = (rate: number, share: number): { steady: number; drain: number } => ({
    steady: minServers(rate, 1 / slotDuration, waitBudget, { exceed: share, maxUtilization: POLICY.maxUtilization, limit }),
    drain: Math.ceil(((rate + backlog / drainSeconds) * slotDuration) / POLICY.maxUtilization),
  });
  const { steady: steadySlots, drain: drainSlots } = slotsFor(arrival, waitShare);
  // The scale-up trigger: the bare load, at the queue's band on the share of jobs let wait.
  const triggerShare = Math.min(1, waitShare * (COMPONENT_TUNING[`worker-${queue}`].triggerWaitShareFactor ?? 1));
  const bare = slotsFor(plan.load, triggerShare);
  const cap = waitsOnReplicas ? replicaCoreSlots(spec, state) : undefined;
  const capped = (slots: number) => (cap !== undefined ? Math.min(slots, cap) : slots);
  const replicas = Math.ceil(capped(Math.max(steadySlots, drainSlots)) / concurrency);
  const minimum = Math.ceil(capped(Math.max(bare.steady, bare.drain)) / concurrency);
  const age = q.oldestWaitingAgeSeconds ?? 0;
  const urgent = age + durationP95 > target;
  return {
    replicas,
    minimum,
    urgent,
    reason:
      `${name}: ${fmt(arrivalRate)} jobs/s${planText(plan)}, ${backlog} waiting, ${fmt(duration)} s/job, ` +
      `oldest ${fmt(age)} s${budgetText}${slotDuration < duration ? ` at the jobs' ${fmt(slotDuration)} s on idle replicas` : ''}; ` +
      `${steadySlots} slots for arrivals, ${drainSlots} to drain in ${fmt(drainSeconds)} s` +
      `${cap !== undefined && cap < Math.max(steadySlots, drainSlots) ? `, at most ${cap} (one per replica core)` : ''} → ${replicas} pods × ${concurrency}`,
    signals,
  };
}

/**
 * A queue's learned replica-dependence line (downstream.ts) when it rises: its jobs are seen to
 * wait on the replicas. No t-test on the slope: at the cheap end the replicas run hot all day and
 * the points bunch at one load, so the slope's t stays low; a rising line is all ownPace and
 * replicaCoreSlots ask. A poor one that reads the idle pace too short sizes the slots (and the
 * backlog's drain) short: a lost queue's jobs are past their SLA already, so what that risks is a
 * longer backlog, not minutes kept.
 */
function risingDependence(state: AutoscalerState, queue: WorkerQueue): Line | undefined {
  const line = fitLine(state.replicaDependence?.[queue], POLICY.downstreamMinWeight);
  return line && line.slope > 0 ? line : undefined;
}

/**
 * The most slots a queue whose jobs wait on the read replicas (a rising learned line,
 * downstream.ts) can keep busy above the spec default: one per replica core. A report's queries
 * run in one Postgres backend, one core at a time; jobs past the replicas' cores time-share them,
 * shortening none, and each holds a Pooler connection the API's reads then queue for. Sized
 * without it, a backlog of such jobs (their drain slots on their stretched duration) held 3-10
 * report pods through the week's days at knob 0.975 where the HPA's one pod lost no more minutes
 * (seed 1: 4,827 queue minutes for $10.47 against 4,736 for $6.21). Until session 29 only a lost
 * queue (p95 past its SLA) was capped; a queue just inside its SLA was not: month end's report
 * burst at minute 120 (595 jobs, seed 1, knob 1) then drew 9 pods (18 slots) onto 3-4 replicas for
 * 70 minutes, and the API's reads queued behind them (59 student_queries minutes where the HPA,
 * with its one report pod, lost 12). Capped too, month end at knob 1, seeds 1-5: 262.0 min $6.01 → 181.8 min $5.68.
 * Not at the default, where the slots keep the jobs from waiting: capped there, month end at 0.7
 * (seed 1) lost 32 → 40 minutes for $0.20 more. Undefined (no cap) with an external database.
 */
function replicaCoreSlots(spec: PassPlatformSpec, state: AutoscalerState): number | undefined {
  const managed = spec.database.managed;
  if (!managed) return undefined;
  const replicas = state.components['postgres-replicas']?.replicas ?? 1;
  return Math.max(1, Math.floor(replicas * cores(managed.resources.cpu)));
}

/**
 * A lost queue's job duration for its slots: the learned line's (downstream.ts) on idle replicas
 * when its jobs are seen to wait on them, else the measured one. Such jobs run long because the
 * replicas are busy, not for want of slots; slots sized on the stretched duration hold more of them
 * inside the database at once, which shortens none (the replicas' cores are the bottleneck), and
 * each holds a Pooler connection the API's reads then queue for. The backlog's drain slots add what
 * the replicas' slower pace needs. With the cap (replicaCoreSlots), week, seed 1, knob 0.975: SLA
 * minutes 12,410 → 11,484 and $236.64 → $233.60 (report pods $10.47 → $7.10); the cap alone
 * 11,986 and $235.30.
 */
function ownPace(line: Line, duration: number): number {
  const idle = line.intercept + line.slope;
  // A line fitted far from idle can cross zero there: it then says nothing about the jobs' own pace.
  return idle > 0 ? Math.min(duration, idle) : duration;
}

/**
 * The read replicas' demand in cores, the unit sizing works in: the CPU they use now, else (that
 * reading missing) read queries/s × the CPU per query learned from earlier CPU readings. Without
 * either there is no load in cores: queries/s alone say nothing about how many replicas they need.
 */
function replicaLoadCores(pg: PostgresSignals, state: AutoscalerState): number | undefined {
  const perQuery = state.postgresCpuSecondsPerQuery;
  return pg.replicaCpuCores ?? (pg.readQps !== undefined && perQuery !== undefined ? pg.readQps * perQuery : undefined);
}

/**
 * The first worker queue whose jobs alone take past their SLA's mark (learned mean × learned
 * p95 / mean over SLA × latencyTargetRatio) while its replica-dependence fit (downstream.ts) has
 * too little weight or spread in the replicas' load to say whether more replicas would shorten
 * them; the reason text, or undefined when there is none.
 */
function untestedSlowQueue(spec: PassPlatformSpec, state: AutoscalerState): string | undefined {
  for (const [queue, tail] of Object.entries(state.jobP95OverMean ?? {}) as [WorkerQueue, number][]) {
    const mean = state.jobDurationSeconds[queue];
    if (mean === undefined) continue;
    const mark = spec.sla[QUEUE_SLA_CLASS[queue]] * POLICY.latencyTargetRatio;
    if (mean * tail <= mark) continue;
    const line = fitLine(state.replicaDependence?.[queue], POLICY.downstreamMinWeight);
    if (line && line.spreadX >= POLICY.downstreamMinSpreadX) continue;
    return `${queue} jobs' p95 ${fmt(mean * tail)} s is past ${fmt(mark)} s and the replicas' load has not varied enough to tell whether replicas shorten it: one more`;
  }
  return undefined;
}

/**
 * The utilisation read replicas are sized for: the knob's less POLICY.replicaUtilizationOffset, at
 * least POLICY.replicaMinUtilization. A replica takes minutes to start (a base backup and WAL
 * catch-up) and costs as much as a couple of dozen API pods, so it carries the headroom the API's
 * seconds-long start-up does not need, on the CPU measured now rather than a forecast (below).
 */
export function replicaUtilization(spec: PassPlatformSpec): number {
  return Math.max(POLICY.replicaMinUtilization, spec.autoscaling.targetUtilization - POLICY.replicaUtilizationOffset);
}

/**
 * Read replicas: the CPU they use now at replicaUtilization, plus one when lag shows they fall
 * behind. No forecast and no learned curve: measured in session 20 (docs/simulation/README.md),
 * a trend over a replica's five-minute start-up ordered six replicas at a gate rush's step where
 * four carried the plateau, and the learned report-job curves bought fewer SLA minutes per dollar
 * than this rule did (every knob, seeds 1-5: 37 → 42 of the 75 baseline points dominated; the
 * week at the default knob $295.13 → $278.21 at fewer minutes).
 */
export function sizePostgres(input: SizingInput<PostgresSignals>): Need {
  const { spec, state, signals: pg, current } = input;
  const managed = spec.database.managed;
  if (!managed) return { reason: 'postgres-replicas: database is external', signals: {} };
  const replicaCores = cores(managed.resources.cpu);
  const load = pg && replicaLoadCores(pg, state);
  if (!pg || load === undefined) {
    const qps = pg?.readQps !== undefined ? `${fmt(pg.readQps)} read q/s but ` : '';
    return { reason: `postgres-replicas: ${qps}no replica CPU reading (missing or stale); holding`, signals: {} };
  }
  const signals: Record<string, number> = { loadCores: load };
  if (pg.readQps !== undefined) signals.readQps = pg.readQps;
  const target = replicaUtilization(spec);
  const perReplica = replicaCores * target;
  let replicas = Math.ceil(load / perReplica);
  let minimum = Math.ceil(load / (1 + POLICY.surgeAllowance) / perReplica);
  let why = `${fmt(load)} cores of reads at ${fmt(target * 100)} % of ${fmt(replicaCores)} cores (knob ${fmt(spec.autoscaling.targetUtilization)} less ${fmt(POLICY.replicaUtilizationOffset * 100)} points) → ${replicas}`;
  // At the spec default's knob and below, jobs whose own p95 is past their SLA's mark while the
  // replicas' load has not moved enough to show whether they wait on the replicas get one replica
  // more than the load asks: on the upload deadline (seeds 1-5) report jobs ran at a p95 of 4.7 s
  // against 5 s on one replica for the first ~75 minutes at knobs 0.5 and 0.6 (15-17 queue:reports
  // minutes against 0-1.4 for the baselines at 30-40 % that ran two). Not above the default: there
  // the team has said a wait is worth less, and the probe's replica, ordered in a trace's first
  // minutes, bought fewer minutes than it cost (k6 ramp at 0.8, seeds 1-5: 37.0 min $1.26 without
  // the limit, 42.8 min $1.21 with it; month end at 0.8: 67.2 min $7.16 → 58.2 min $7.08).
  const slow = spec.autoscaling.targetUtilization > DEFAULT_AUTOSCALING.targetUtilization ? undefined : untestedSlowQueue(spec, state);
  if (slow) {
    replicas += 1;
    minimum = replicas;
    why += `; ${slow} → ${replicas}`;
  }
  const lag = pg.maxReplicaLagSeconds;
  const lagging = lag !== undefined && lag > POLICY.maxReplicaLagSeconds;
  if (lag !== undefined) signals.maxReplicaLagSeconds = lag;
  if (lagging && (pg.readyReplicas ?? current) >= current && replicas <= current) {
    replicas = current + 1;
    minimum = replicas;
    why += `; lag ${fmt(lag)} s > ${POLICY.maxReplicaLagSeconds} s → ${replicas}`;
  }
  return { replicas, minimum, urgent: lagging, reason: `postgres-replicas: ${why}`, signals };
}

/** Redis shards: memory and commands per shard at the target utilisation. */
export function sizeRedis(input: SizingInput<RedisSignals>): Need {
  const { spec, signals: redis } = input;
  const managed = spec.redis.managed;
  if (!managed) return { reason: 'redis-shards: Redis is external', signals: {} };
  const target = spec.autoscaling.targetUtilization;
  const shardMax = redis?.shardMaxMemoryBytes;
  const memory = redis?.totalMemoryBytes;
  const ops = redis?.opsPerSecond;
  if (!redis || ((memory === undefined || !shardMax) && ops === undefined)) {
    return { reason: 'redis-shards: memory and ops missing or stale; holding', signals: {} };
  }
  const signals: Record<string, number> = {};
  const parts: string[] = [];
  let replicas = 0;
  let minimum = 0;
  if (memory !== undefined && shardMax) {
    const byMemory = Math.ceil(memory / (shardMax * target));
    replicas = Math.max(replicas, byMemory);
    minimum = Math.max(minimum, Math.ceil(memory / (1 + POLICY.surgeAllowance) / (shardMax * target)));
    signals.totalMemoryBytes = memory;
    signals.shardMaxMemoryBytes = shardMax;
    parts.push(`${fmt(memory / 2 ** 20)} MiB over ${fmt(shardMax / 2 ** 20)} MiB shards → ${byMemory}`);
  }
  if (ops !== undefined) {
    const planned = input.plan(ops).load;
    const perShard = managed.opsPerShard ?? DEFAULT_REDIS_OPS_PER_SHARD;
    const byOps = Math.ceil(planned / (perShard * target));
    replicas = Math.max(replicas, byOps);
    minimum = Math.max(minimum, Math.ceil(planned / (1 + POLICY.surgeAllowance) / (perShard * target)));
    signals.opsPerSecond = ops;
    parts.push(`${fmt(ops)} ops/s → ${byOps}`);
  }
  const fullest = redis.maxShardMemoryBytes !== undefined && shardMax ? redis.maxShardMemoryBytes / shardMax : undefined;
  const urgent = fullest !== undefined && fullest > spec.alerts.warningMemoryRatio;
  if (fullest !== undefined) signals.fullestShardRatio = fullest;
  return { replicas, minimum, urgent, reason: `redis-shards: ${parts.join('; ')}`, signals };
}
