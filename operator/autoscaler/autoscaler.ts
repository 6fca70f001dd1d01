/**
 * The autoscaling policy: `(spec, state, signals, now) → replicas, decisions, state`. Pure; the
 * caller persists the returned state (bounded) and passes it back next run. For each component
 * the spec manages: record its load, forecast it over the component's start-up time, size it
 * (sizing.ts), stabilise (stabilizer.ts), and explain every change in a decision record.
 */
import {
  COMPONENTS,
  type Component,
  type PassPlatformSpec,
  type ReplicaRange,
  type ScalingDecisionRecord,
  type WorkerQueue,
} from '../../platform-api/v1alpha1/index.js';
import { budgetRefusal, maxApiPods } from '../../cdk8s/platform/connection-budget.js';
import { learnEstimates } from './estimates.js';
import { appendSample, emptySeasonalMemory, recordSeasonal, seasonalForecast, trendForecast } from './forecast.js';
import { sizeApi, sizePostgres, sizeRedis, sizeWorker, totalRate, type Plan, type Planner, type SizingInput } from './sizing.js';
import { clampToRange, stabilize } from './stabilizer.js';
import { followStartup, readyReplicas, startupSeconds, trackReady } from './startup.js';
import { COMPONENT_TUNING, POLICY } from './tuning.js';
import type { AutoscalerResult, AutoscalerState, ComponentMemory, Need, PlatformSignals, SignalSource } from './types.js';

/** A fresh state; pass the replica counts running now so the first decisions start from them. */
export function initialAutoscalerState(running: Partial<Record<Component, number>> = {}): AutoscalerState {
  const components: AutoscalerState['components'] = {};
  for (const [component, replicas] of Object.entries(running) as [Component, number][]) {
    components[component] = { replicas, recommendations: [], recent: [] };
  }
  return { version: 1, components, baseLatencySeconds: {}, jobDurationSeconds: {} };
}

/** The replica range of each component the operator scales for this spec (external stores are not scaled). */
export function scaledComponents(spec: PassPlatformSpec): Partial<Record<Component, ReplicaRange>> {
  const ranges: Partial<Record<Component, ReplicaRange>> = {
    api: spec.api,
    'worker-uploads': spec.workers.uploads,
    'worker-reports': spec.workers.reports,
  };
  if (spec.database.mode === 'managed' && spec.database.managed) ranges['postgres-replicas'] = spec.database.managed.readReplicas;
  if (spec.redis.mode === 'managed' && spec.redis.managed) ranges['redis-shards'] = spec.redis.managed.shards;
  return ranges;
}

function workerQueue(component: Component): WorkerQueue | undefined {
  if (component === 'worker-uploads') return 'uploads';
  if (component === 'worker-reports') return 'reports';
  return undefined;
}

/** The one number per component that forecasts follow (none for a component sized without one). */
function loadOf(component: Component, signals: PlatformSignals | undefined): number | undefined {
  if (!signals || !COMPONENT_TUNING[component].forecast) return undefined;
  const queue = workerQueue(component);
  if (queue) return signals.queues?.[queue]?.arrivalRate;
  if (component === 'api') return totalRate(signals.api?.requestRate);
  return signals.redis?.opsPerSecond;
}

/**
 * A component no forecast follows keeps no load memory: the samples and seasonal buckets a state
 * written before session 21 holds for the read replicas are dropped on its next run.
 */
function withoutLoadMemory(memory: ComponentMemory): ComponentMemory {
  const { seasonal: _dropped, ...rest } = memory;
  return { ...rest, recent: [] };
}

function size(component: Component, input: SizingInput<unknown>, signals: PlatformSignals | undefined): Need {
  const queue = workerQueue(component);
  if (queue) return sizeWorker({ ...input, signals: signals?.queues?.[queue], queue });
  if (component === 'api') return sizeApi({ ...input, signals: signals?.api, readReplicas: signals?.postgres });
  if (component === 'postgres-replicas') return sizePostgres({ ...input, signals: signals?.postgres });
  return sizeRedis({ ...input, signals: signals?.redis });
}

/**
 * Planner over a component's remembered load: the measured value, or a higher forecast. When a
 * rise from this time of day recurred on comparable days, that curve is the better guide (it knows
 * where a ramp tops out); a short-term trend, extrapolated over a long start-up, overshoots every
 * peak. The trend counts when no pattern recurs, or today departs from it.
 */
function planner(memory: ComponentMemory, predictive: boolean, now: number, horizonMs: number, seasonalHorizonMs: number): Planner {
  return (measured: number): Plan => {
    if (!predictive) return { load: measured, basis: 'measured' };
    const seasonal = seasonalForecast(memory.seasonal, now, seasonalHorizonMs, measured, {
      levelRange: POLICY.seasonalLevelRange,
      minDays: POLICY.seasonalMinDays,
      maxGrowth: POLICY.seasonalMaxGrowth,
    });
    const [low, high] = POLICY.seasonalTrustedLevel;
    const repeating = seasonal !== undefined && seasonal.level >= low && seasonal.level <= high;
    let plan: Plan = { load: measured, basis: 'measured' };
    const trend = repeating ? undefined : trendForecast(memory.recent, horizonMs, POLICY.trendMinSpanSeconds * 1000, POLICY.trendMinFit);
    if (trend !== undefined && trend > plan.load) plan = { load: trend, basis: 'trend' };
    if (seasonal !== undefined && seasonal.load > plan.load) {
      const rise = `+${Math.round((seasonal.growth - 1) * 100)} %${seasonal.capped ? ` (capped at ×${POLICY.seasonalMaxGrowth})` : ''}`;
      plan = {
        load: seasonal.load,
        basis: 'seasonal',
        note: `seasonal: a rise of ${rise} recurred on ${seasonal.days} of ${seasonal.comparable} comparable days`,
      };
    }
    return plan;
  };
}

/** The worker pods running now, whose connections the API's budget must leave room for; undefined without managed poolers. */
function budgetedWorkerPods(spec: PassPlatformSpec, state: AutoscalerState): number | undefined {
  if (spec.database.mode !== 'managed') return undefined;
  return (
    (state.components['worker-uploads']?.replicas ?? spec.workers.uploads.minReplicas) +
    (state.components['worker-reports']?.replicas ?? spec.workers.reports.minReplicas)
  );
}

/** The API's need cut to what the connection budget carries beside `workerPods`, saying so in its reason. */
function withinBudget(need: Need, workerPods: number): { need: Need; refused: boolean } {
  const most = maxApiPods(workerPods);
  if (need.replicas === undefined || need.replicas <= most) return { need, refused: false };
  return {
    refused: true,
    need: {
      ...need,
      replicas: most,
      minimum: Math.min(need.minimum ?? most, most),
      reason: `${need.reason}; refused: ${budgetRefusal(need.replicas, workerPods)}`,
    },
  };
}

/**
 * The signals young enough to act on: none when even the newest sample is older than `maxAgeMs`,
 * and without each source (API, queues, Postgres, Redis) whose own newest sample is.
 */
export function freshSignals(signals: PlatformSignals, now: number, maxAgeMs: number): PlatformSignals | undefined {
  if (now - signals.observedAt > maxAgeMs) return undefined;
  const fresh: PlatformSignals = { ...signals };
  for (const [source, at] of Object.entries(signals.sampledAt ?? {}) as [SignalSource, number][]) {
    if (now - at > maxAgeMs) delete fresh[source];
  }
  return fresh;
}

/**
 * How far the signals lag the load they measure: a rate() or a p95 over a window averages requests
 * up to a whole window old, half a window on average (30 s for the 1-minute default; 5 s for a 10 s
 * window). Forecasts look this much further ahead.
 */
export function signalLagSeconds(signals: Pick<PlatformSignals, 'windowSeconds'>): number {
  return (signals.windowSeconds ?? POLICY.signalWindowSeconds) / 2;
}

export function autoscale(
  spec: PassPlatformSpec,
  previous: AutoscalerState | undefined,
  signals: PlatformSignals,
  now: number,
): AutoscalerResult {
  const state = previous ?? initialAutoscalerState();
  const interval = spec.autoscaling.intervalSeconds;
  const fresh = freshSignals(signals, now, POLICY.staleAfterIntervals * interval * 1000);
  const replicas: Partial<Record<Component, number>> = {};
  const decisions: ScalingDecisionRecord[] = [];
  const components: AutoscalerState['components'] = {};
  const ranges = scaledComponents(spec);
  const lag = signalLagSeconds(signals);

  for (const component of COMPONENTS) {
    const range = ranges[component];
    if (!range) continue;
    const tuning = COMPONENT_TUNING[component];
    let memory: ComponentMemory = state.components[component] ?? {
      replicas: clampToRange(range.minReplicas, range),
      recommendations: [],
      recent: [],
    };
    const load = loadOf(component, fresh);
    if (!tuning.forecast) memory = withoutLoadMemory(memory);
    else if (load !== undefined) {
      memory = {
        ...memory,
        recent: appendSample(memory.recent, { at: now, load }, POLICY.trendWindowSeconds * 1000),
        seasonal: recordSeasonal(
          memory.seasonal ?? emptySeasonalMemory(POLICY.seasonalBucketSeconds * 1000, POLICY.seasonalSpanSeconds * 1000),
          now,
          load,
        ),
      };
    }
    const startup = startupSeconds(memory, tuning.startupSeconds);
    const horizonMs = (startup + interval + lag) * 1000;
    const plan = planner(memory, spec.autoscaling.predictive, now, horizonMs, Math.max(horizonMs, POLICY.seasonalMinHorizonSeconds * 1000));
    const sized = size(component, { spec, state, signals: undefined, current: memory.replicas, plan, startupSeconds: startup }, fresh);
    const workerPods = component === 'api' ? budgetedWorkerPods(spec, state) : undefined;
    const need = workerPods !== undefined ? withinBudget(sized, workerPods) : { need: sized, refused: false };
    const before = memory.replicas;
    const result = stabilize(memory, need.need, range, tuning, spec.autoscaling.scaleDownStabilizationSeconds, now);
    const ready = readyReplicas(component, fresh);
    const followed = trackReady(followStartup(result.memory, before, ready, now, tuning.startupSeconds), ready, now);
    components[component] = { ...followed, budgetRefused: need.refused || undefined };
    replicas[component] = result.replicas;
    const reason = !fresh
      ? 'signals missing or stale; back inside spec bounds'
      : result.note
        ? `${need.need.reason}; ${result.note}`
        : need.need.reason;
    // A refusal is reported when it starts, not on every run it lasts.
    if (result.replicas !== before || (need.refused && !memory.budgetRefused)) {
      decisions.push({
        component,
        from: before,
        to: result.replicas,
        reason,
        signals: need.need.signals,
        time: new Date(now).toISOString(),
      });
    }
  }
  const learned = learnEstimates(state, fresh, spec, state.components.api?.replicas ?? spec.api.minReplicas, { components, now });
  return { replicas, decisions, state: { ...learned, components } };
}
