/**
 * Runs one trace under one policy and measures what the issue asks for: SLA-violation minutes
 * per SLA class (a minute violates a class when more than 5 % of its requests or jobs in that
 * minute exceed the target, i.e. its p95 is over the SLA), replica-hours and cost per component,
 * scaling actions, and how long the SLA takes to hold again after each load step.
 */
import { SLA_CLASS_NAMES } from '../core/sla.js';
import { hourlyRate, replicaShapes } from '../operator/cost/prices.js';
import { COMPONENTS, WORKER_QUEUES, type Component, type PassPlatformSpec, type ReplicaChange } from '../platform-api/v1alpha1/index.js';
import { PlatformModel, STEP_SECONDS, type StepOutcome } from './model.js';
import { Prometheus } from './observe.js';
import { createPolicy, DEFAULT_KNOBS, type PolicyName } from './policies.js';
import type { Trace } from './traces.js';
import { QUEUE_SLA_CLASS } from './workload.js';

/** The policy settles on the trace's opening load for this long before measuring starts. */
const WARM_UP_SECONDS = 600;
/** How far after a step a violation still counts as that step's. */
const RECOVERY_HORIZON_SECONDS = 3600;
const SLA_EXCEED = 0.05;
/**
 * A change the other way within this long of a component's previous change is a reversal: the
 * scaler undid what it had just done (flapping). The Kubernetes HPA's default scale-down
 * stabilization window, which exists to keep an HPA from doing exactly that.
 */
export const REVERSAL_WINDOW_SECONDS = 300;

/** SLA classes of HTTP requests, plus one per worker queue (enqueue to done). */
export type SlaKey = string;
export const SLA_KEYS: readonly SlaKey[] = [...SLA_CLASS_NAMES, ...WORKER_QUEUES.map((q) => `queue:${q}`)];

export interface SeriesPoint {
  /** Minutes since the trace started. */
  minute: number;
  requestsPerSecond: number;
  replicas: Record<Component, number>;
  violated: boolean;
}

export interface RunResult {
  trace: string;
  policy: PolicyName;
  /** The policy's knob in this run (ours: targetUtilization; the others: their target utilisation). */
  knob: number;
  durationMinutes: number;
  violationMinutes: Record<SlaKey, number>;
  totalViolationMinutes: number;
  replicaHours: Record<Component, number>;
  totalReplicaHours: number;
  cost: Record<Component, number>;
  totalCost: number;
  currency: string;
  scalingActions: Record<Component, number>;
  /** Of those, the changes that undid the component's previous one within REVERSAL_WINDOW_SECONDS. */
  reversals: Record<Component, number>;
  /** Seconds from each load step to the end of the last violated minute within the hour after it; 0 when none. */
  recoverySeconds: number[];
  maxRecoverySeconds: number;
  history: ReplicaChange[];
  series: SeriesPoint[];
}

interface MinuteTally {
  count: Record<SlaKey, number>;
  exceeded: Record<SlaKey, number>;
  stuck: Record<SlaKey, boolean>;
}

function emptyTally(): MinuteTally {
  const zero = (): Record<SlaKey, number> => Object.fromEntries(SLA_KEYS.map((k) => [k, 0]));
  return { count: zero(), exceeded: zero(), stuck: Object.fromEntries(SLA_KEYS.map((k) => [k, false])) };
}

function addOutcome(tally: MinuteTally, outcome: StepOutcome, spec: PassPlatformSpec): void {
  for (const c of SLA_CLASS_NAMES) {
    tally.count[c] = (tally.count[c] ?? 0) + outcome.requests[c].count;
    tally.exceeded[c] = (tally.exceeded[c] ?? 0) + outcome.requests[c].exceeded;
  }
  for (const q of WORKER_QUEUES) {
    const key = `queue:${q}`;
    const o = outcome.queues[q];
    tally.count[key] = (tally.count[key] ?? 0) + o.started;
    tally.exceeded[key] = (tally.exceeded[key] ?? 0) + o.exceeded;
    // A job stuck in the queue misses its SLA before it ever starts. Only a job that waits: one
    // step's slow p95 with nothing waiting is judged by the minute's jobs (the share that exceed),
    // as the measure says; flagging the whole minute on it counted minutes in which under 5 % of
    // the jobs missed (report jobs on busy replicas, one step in twelve).
    const target = spec.sla[QUEUE_SLA_CLASS[q]];
    if (o.waiting > 0 && o.oldestWaitingAgeSeconds + o.durationP95Seconds > target) tally.stuck[key] = true;
  }
}

function violatedKeys(tally: MinuteTally): SlaKey[] {
  return SLA_KEYS.filter(
    (k) => tally.stuck[k] || ((tally.count[k] ?? 0) > 0 && (tally.exceeded[k] ?? 0) / (tally.count[k] ?? 1) > SLA_EXCEED),
  );
}

/** The SLA keys one minute's model steps violate. */
export function minuteViolations(steps: readonly StepOutcome[], spec: PassPlatformSpec): SlaKey[] {
  const tally = emptyTally();
  for (const step of steps) addOutcome(tally, step, spec);
  return violatedKeys(tally);
}

/**
 * The changes in one component's history (its first entry is the count at the start, not a
 * change) that went the other way from the change before within REVERSAL_WINDOW_SECONDS.
 */
export function countReversals(changes: readonly Pick<ReplicaChange, 'at' | 'replicas'>[]): number {
  let reversals = 0;
  let lastStep = 0;
  changes.forEach((change, i) => {
    const previous = changes[i - 1];
    if (!previous) return;
    const step = change.replicas - previous.replicas;
    if (step * lastStep < 0 && change.at - previous.at <= REVERSAL_WINDOW_SECONDS * 1000) reversals++;
    lastStep = step;
  });
  return reversals;
}

function perComponent<T>(value: (c: Component) => T): Record<Component, T> {
  return Object.fromEntries(COMPONENTS.map((c) => [c, value(c)])) as Record<Component, T>;
}

export function runTrace(
  trace: Trace,
  policyName: PolicyName,
  spec: PassPlatformSpec,
  seed: number,
  knob = DEFAULT_KNOBS[policyName],
): RunResult {
  const start = trace.startAt;
  // History runs like the warm-up (policies act, nothing is measured): the days a deployment has
  // already seen, from which ours learns the daily and weekly pattern.
  const past = trace.historySeconds ?? 0;
  const lead = WARM_UP_SECONDS + past;
  const model = new PlatformModel(spec, seed, start - lead * 1000);
  const prometheus = new Prometheus(model);
  const policy = createPolicy(policyName, spec, { model, prometheus }, knob);
  const shapes = replicaShapes(spec);
  const hourly = perComponent((c) => {
    const shape = shapes[c];
    return shape ? hourlyRate(shape, spec.cost).toNumber() : 0;
  });
  const replicaHours = perComponent(() => 0);
  const violationMinutes: Record<SlaKey, number> = Object.fromEntries(SLA_KEYS.map((k) => [k, 0]));
  const violatedMinutes: boolean[] = [];
  const history: ReplicaChange[] = [];
  const series: SeriesPoint[] = [];
  const lastCount = perComponent(() => -1);
  let tally = emptyTally();
  let minuteRequests = 0;

  const stepsPerMinute = 60 / STEP_SECONDS;
  for (let t = -lead; t < trace.durationSeconds; t += STEP_SECONDS) {
    const now = start + t * 1000;
    const batches = trace.batches.filter((b) => b.atSeconds >= t && b.atSeconds < t + STEP_SECONDS);
    const outcome = model.step(now, trace.load(Math.max(-past, t)), batches);
    prometheus.tick(now);
    const decided = policy.decide(now);
    if (decided) model.setReplicas(decided, now);
    if (t < 0) continue;

    for (const c of COMPONENTS) {
      const size = model.fleets[c].size;
      replicaHours[c] += (size * STEP_SECONDS) / 3600;
      if (size !== lastCount[c]) {
        history.push({ component: c, at: now, replicas: size });
        lastCount[c] = size;
      }
    }
    addOutcome(tally, outcome, spec);
    minuteRequests += SLA_CLASS_NAMES.reduce((s, c) => s + outcome.requests[c].count, 0);
    if ((t / STEP_SECONDS + 1) % stepsPerMinute === 0) {
      const violated = violatedKeys(tally);
      for (const k of violated) violationMinutes[k] = (violationMinutes[k] ?? 0) + 1;
      violatedMinutes.push(violated.length > 0);
      series.push({
        minute: violatedMinutes.length - 1,
        requestsPerSecond: minuteRequests / 60,
        replicas: perComponent((c) => model.fleets[c].size),
        violated: violated.length > 0,
      });
      tally = emptyTally();
      minuteRequests = 0;
    }
  }

  const recoverySeconds = trace.steps.map((step, i) => {
    const horizon = Math.min(step + RECOVERY_HORIZON_SECONDS, trace.steps[i + 1] ?? Infinity, trace.durationSeconds);
    let last = -1;
    for (let m = Math.floor(step / 60); m < Math.ceil(horizon / 60); m++) if (violatedMinutes[m]) last = m;
    return last < 0 ? 0 : Math.max(0, (last + 1) * 60 - step);
  });
  const cost = perComponent((c) => replicaHours[c] * hourly[c]);
  const histories = perComponent((c) => history.filter((h) => h.component === c));
  // A component's history starts with its count at the start, which is not an action.
  const actions = perComponent((c) => histories[c].length - 1);
  const reversals = perComponent((c) => countReversals(histories[c]));
  return {
    trace: trace.name,
    policy: policyName,
    knob,
    durationMinutes: violatedMinutes.length,
    violationMinutes,
    totalViolationMinutes: Object.values(violationMinutes).reduce((a, b) => a + b, 0),
    replicaHours,
    totalReplicaHours: Object.values(replicaHours).reduce((a, b) => a + b, 0),
    cost,
    totalCost: Object.values(cost).reduce((a, b) => a + b, 0),
    currency: spec.cost.currency,
    scalingActions: actions,
    reversals,
    recoverySeconds,
    maxRecoverySeconds: Math.max(0, ...recoverySeconds),
    history,
    series,
  };
}
