/**
 * Start-up times learned from the signals: how long a component took from a scale-up decision to
 * the signals showing that many replicas ready (Prometheus scraping that many API or worker
 * processes, CloudNativePG reporting that many streaming replicas, redis_exporter that many
 * shards). That span is what a forecast must look ahead over, and it includes what no constant
 * knows: a node the cluster autoscaler had to add, an image pull, a base backup of this database,
 * the scrape and rate() delay. Until a first measurement, tuning.ts's documented default holds.
 */
import type { Component } from '../../platform-api/v1alpha1/index.js';
import { POLICY } from './tuning.js';
import type { ComponentMemory, PlatformSignals } from './types.js';

/** The replicas of a component the signals show ready; undefined when its source is missing or stale. */
export function readyReplicas(component: Component, signals: PlatformSignals | undefined): number | undefined {
  if (!signals) return undefined;
  if (component === 'api') return signals.api?.readyPods;
  if (component === 'worker-uploads') return signals.queues?.uploads?.readyPods;
  if (component === 'worker-reports') return signals.queues?.reports?.readyPods;
  if (component === 'postgres-replicas') return signals.postgres?.readyReplicas;
  return signals.redis?.readyShards;
}

/** Notes when the ready count changes; an unknown count (signals missing) changes nothing. */
export function trackReady(memory: ComponentMemory, ready: number | undefined, now: number): ComponentMemory {
  if (ready === undefined || memory.readySince?.ready === ready) return memory;
  return { ...memory, readySince: { ready, since: now } };
}

/**
 * Whether a component's ready count has held for the whole query window up to `now`: only then do
 * a window's rates and quantiles describe the fleet the signals count now. Right after a change
 * they still hold what the old fleet served and queued (a backlog built while too few pods were
 * ready drains through the next window's p95). Unknown (no count seen yet) is not settled.
 */
export function settled(memory: ComponentMemory | undefined, now: number, windowSeconds: number): boolean {
  const since = memory?.readySince?.since;
  return since !== undefined && now - since >= windowSeconds * 1000;
}

/** The start-up time to plan with: the learned one, else the default. */
export function startupSeconds(memory: ComponentMemory | undefined, defaultSeconds: number): number {
  return memory?.startupSeconds ?? defaultSeconds;
}

/**
 * Follows one scale-up at a time: started when the count goes up with none being followed, done
 * when the ready count reaches the count decided then (the span is folded into the smoothed
 * start-up time), dropped when the count is lowered below it first or it takes longer than
 * `POLICY.startupGiveUpFactor` × the default (a pod that never comes up is not a start-up time).
 */
export function followStartup(
  memory: ComponentMemory,
  before: number,
  ready: number | undefined,
  now: number,
  defaultSeconds: number,
): ComponentMemory {
  let next = memory;
  const awaiting = memory.awaitingReady;
  if (awaiting) {
    const elapsed = (now - awaiting.since) / 1000;
    if (ready !== undefined && ready >= awaiting.replicas) {
      const learned =
        memory.startupSeconds === undefined ? elapsed : memory.startupSeconds + POLICY.smoothing * (elapsed - memory.startupSeconds);
      next = { ...next, startupSeconds: learned, awaitingReady: undefined };
    } else if (next.replicas < awaiting.replicas || elapsed > POLICY.startupGiveUpFactor * defaultSeconds) {
      next = { ...next, awaitingReady: undefined };
    }
  }
  if (!next.awaitingReady && next.replicas > before && (ready === undefined || ready < next.replicas)) {
    next = { ...next, awaitingReady: { since: now, replicas: next.replicas } };
  }
  return next;
}
