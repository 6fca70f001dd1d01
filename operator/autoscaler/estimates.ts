/**
 * Quantities the policy learns from the signals over time (smoothed): CPU per API request, the
 * base latency of each SLA class, job durations, replica CPU per read query. A decision uses the
 * estimates learned up to the previous run, so one odd reading cannot swing it.
 */
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import { WORKER_QUEUES, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { waitQuantile } from './erlang.js';
import { cores, totalRate } from './sizing.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

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
  if (pg?.replicaCpuCores !== undefined && pg.readQps !== undefined && pg.readQps >= MIN_RATE_FOR_CPU_ESTIMATE) {
    next.postgresCpuSecondsPerQuery = smooth(state.postgresCpuSecondsPerQuery, pg.replicaCpuCores / pg.readQps);
  }
  return next;
}
