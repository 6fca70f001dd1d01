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
import { POLICY } from './tuning.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

/** Utilisation above which the replicas' CPU reading is capped by their cores and says nothing of their demand. */
const MAX_FITTED_UTILIZATION = 0.95;

function smooth(previous: number | undefined, observed: number): number {
  return previous === undefined ? observed : previous + POLICY.smoothing * (observed - previous);
}

/** Requests per second under which a CPU-per-request reading is mostly idle overhead. */
const MIN_RATE_FOR_CPU_ESTIMATE = 1;

export function learnEstimates(
  state: AutoscalerState,
  signals: PlatformSignals | undefined,
  spec: PassPlatformSpec,
  apiReplicas: number,
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
    learnApiLatency(next, signals, spec, pods);
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
  learnReplicaDependence(next, signals, spec);
  if (pg?.replicaCpuCores !== undefined && pg.readQps !== undefined && pg.readQps >= MIN_RATE_FOR_CPU_ESTIMATE) {
    next.postgresCpuSecondsPerQuery = smooth(state.postgresCpuSecondsPerQuery, pg.replicaCpuCores / pg.readQps);
  }
  return next;
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
