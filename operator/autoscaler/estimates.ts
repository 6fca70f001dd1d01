/**
 * Quantities the policy learns from the signals over time (smoothed): CPU per API request, the
 * base latency of each SLA class, job durations, replica CPU per read query. A decision uses the
 * estimates learned up to the previous run, so one odd reading cannot swing it.
 */
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import { WORKER_QUEUES, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { addPoint } from './downstream.js';
import { waitQuantile } from './erlang.js';
import { cores, totalRate } from './sizing.js';
import { settled } from './startup.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, ComponentMemory, PlatformSignals } from './types.js';

/** Utilisation above which the replicas' CPU reading is capped by their cores and says nothing of their demand. */
const MAX_FITTED_UTILIZATION = 0.95;

function smooth(previous: number | undefined, observed: number): number {
  return previous === undefined ? observed : previous + POLICY.smoothing * (observed - previous);
}

/** Requests per second under which a CPU-per-request reading is mostly idle overhead. */
const MIN_RATE_FOR_CPU_ESTIMATE = 1;

/** This run's component memories (their ready counts, trackReady) and its time. */
export interface Fleets {
  components: AutoscalerState['components'];
  now: number;
}

export function learnEstimates(
  state: AutoscalerState,
  signals: PlatformSignals | undefined,
  spec: PassPlatformSpec,
  apiReplicas: number,
  fleets: Fleets,
): AutoscalerState {
  if (!signals) return state;
  const next: AutoscalerState = {
    ...state,
    baseLatencySeconds: { ...state.baseLatencySeconds },
    jobDurationSeconds: { ...state.jobDurationSeconds },
  };
  const api = signals.api;
  const rate = totalRate(api?.requestRate);
  if (api?.cpuCores !== undefined && rate !== undefined && rate >= MIN_RATE_FOR_CPU_ESTIMATE) {
    next.apiCpuSecondsPerRequest = smooth(state.apiCpuSecondsPerRequest, api.cpuCores / rate);
    const pods = Math.max(1, api.readyPods ?? apiReplicas);
    if (fitsFleet(fleets.components.api, signals, fleets.now)) learnApiLatency(next, signals, spec, pods);
    const serviceRate = cores(spec.api.resources.cpu) / next.apiCpuSecondsPerRequest;
    const utilisation = rate / (pods * serviceRate);
    if (utilisation <= POLICY.maxUtilization) {
      // What the queueing model cannot explain of the observed p95 is the class's own latency.
      const wait = waitQuantile(pods, rate, serviceRate, POLICY.slaExceedFraction);
      for (const slaClass of SLA_CLASS_NAMES) {
        const observed = api.p95LatencySeconds?.[slaClass];
        if (observed === undefined || !(api.requestRate?.[slaClass] ?? 0)) continue;
        const base = Math.max(0, observed - (Number.isFinite(wait) ? wait : 0));
        next.baseLatencySeconds[slaClass] = smooth(state.baseLatencySeconds[slaClass], base);
      }
    }
  }
  for (const queue of WORKER_QUEUES) {
    const duration = signals.queues?.[queue]?.meanJobDurationSeconds;
    if (duration !== undefined && duration > 0) next.jobDurationSeconds[queue] = smooth(state.jobDurationSeconds[queue], duration);
  }
  const pg = signals.postgres;
  if (fitsFleet(fleets.components['postgres-replicas'], signals, fleets.now)) learnReplicaDependence(next, signals, spec);
  if (pg?.replicaCpuCores !== undefined && pg.readQps !== undefined && pg.readQps >= MIN_RATE_FOR_CPU_ESTIMATE) {
    next.postgresCpuSecondsPerQuery = smooth(state.postgresCpuSecondsPerQuery, pg.replicaCpuCores / pg.readQps);
  }
  return next;
}

/**
 * Whether a reading may become a point of a learned curve (downstream.ts): its x is the utilisation
 * of the fleet ready now, its y a latency over the query window, so the fleet must have been the
 * same for the whole window (startup.ts settled). A curve keeps its points for hours
 * (POLICY.downstreamKeep) and the sizing it sets keeps later points near one utilisation, so one
 * transient can hold it: on the upload deadline at knob 0.6 (seed 1) the backlog of a start with
 * too few pods ready drained through the next minute's p95 (25–27 s at x 2.3–2.5, 0.19 s a minute
 * later) and fitted auth's line to −5.97 + 4.05 s / (1 − ρ): the API sized at its 20 % floor, 42
 * pods where the HPA at 40 % ran 21, for the rest of the run.
 */
function fitsFleet(memory: ComponentMemory | undefined, signals: PlatformSignals, now: number): boolean {
  return settled(memory, now, signals.windowSeconds ?? POLICY.signalWindowSeconds);
}

/**
 * One point per queue for downstream.ts: its mean job duration against 1 / (1 − ρ) of the read
 * replicas, and its p95 over mean. Needs completed jobs, replicas serving and their CPU.
 */
function learnReplicaDependence(next: AutoscalerState, signals: PlatformSignals, spec: PassPlatformSpec): void {
  const pg = signals.postgres;
  const managed = spec.database.managed;
  const ready = pg?.readyReplicas;
  if (!managed || pg?.replicaCpuCores === undefined || !ready) return;
  const utilisation = pg.replicaCpuCores / (ready * cores(managed.resources.cpu));
  if (utilisation >= MAX_FITTED_UTILIZATION) return;
  const x = 1 / (1 - utilisation);
  const fits = { ...next.replicaDependence };
  const tails = { ...next.jobP95OverMean };
  for (const queue of WORKER_QUEUES) {
    const q = signals.queues?.[queue];
    if (!q?.completionRate || q.meanJobDurationSeconds === undefined || q.meanJobDurationSeconds <= 0) continue;
    fits[queue] = addPoint(fits[queue], x, q.meanJobDurationSeconds, POLICY.downstreamKeep);
    if (q.p95JobDurationSeconds !== undefined && q.p95JobDurationSeconds > 0) {
      tails[queue] = smooth(tails[queue], q.p95JobDurationSeconds / q.meanJobDurationSeconds);
    }
  }
  next.replicaDependence = fits;
  next.jobP95OverMean = tails;
}

/** Requests per second of a class under which its p95 is too noisy to fit. */
const MIN_CLASS_RATE_FOR_FIT = 1;

/**
 * One point per SLA class for downstream.ts: its p95 latency against 1 / (1 − ρ), ρ the API pods'
 * CPU as a share of their request. A class whose latency is mostly CPU on the pod (a password
 * hash) rises steeply; one that waits on the database barely moves.
 */
function learnApiLatency(next: AutoscalerState, signals: PlatformSignals, spec: PassPlatformSpec, pods: number): void {
  const api = signals.api;
  if (api?.cpuCores === undefined) return;
  const utilisation = api.cpuCores / (pods * cores(spec.api.resources.cpu));
  if (utilisation >= MAX_FITTED_UTILIZATION) return;
  const x = 1 / (1 - utilisation);
  const fits = { ...next.apiLatencyFit };
  for (const slaClass of SLA_CLASS_NAMES) {
    const p95 = api.p95LatencySeconds?.[slaClass];
    if (p95 === undefined || (api.requestRate?.[slaClass] ?? 0) < MIN_CLASS_RATE_FOR_FIT) continue;
    fits[slaClass] = addPoint(fits[slaClass], x, p95, POLICY.downstreamKeep);
  }
  next.apiLatencyFit = fits;
}
