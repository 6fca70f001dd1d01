/**
 * What a policy can see of the simulated platform: Prometheus scrapes the exported series every
 * 15 s (the operator's PodMonitors' interval), and each signal is computed from the scrapes as the
 * PromQL in operator/autoscaling/signals/queries.ts computes it — rate() over a one-minute window
 * (the slope between the first and last sample in it), histogram_quantile(0.95) interpolating
 * inside the API's buckets, deriv() for job arrivals, gauges as last scraped. `observedAt` is the
 * time of the newest scrape, never the query time. The HPA's and KEDA's readings come from the same scrapes.
 */
import { SLA_CLASS_NAMES, type SlaClass } from '../core/sla.js';
import type { PlatformSignals, QueueSignals } from '../operator/autoscaler/index.js';
import { WORKER_QUEUES, type Component, type WorkerQueue } from '../platform-api/v1alpha1/index.js';
import { HISTOGRAM_BOUNDS, type ExportedSeries, type PlatformModel } from './model.js';

export const SCRAPE_SECONDS = 15;
export const RATE_WINDOW_SECONDS = 60;
/** metrics-server's resolution window. */
const METRICS_SERVER_WINDOW_SECONDS = 30;
/** Scrapes kept: the rate window and one more. */
const KEPT_SCRAPES = RATE_WINDOW_SECONDS / SCRAPE_SECONDS + 2;

interface Scrape {
  at: number;
  series: ExportedSeries;
}

/**
 * histogram_quantile as Prometheus computes it: the bucket holding rank q × count, linearly
 * interpolated between its bounds (the first bucket starts at 0); a rank in +Inf gives the highest finite bound.
 */
export function histogramQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number | undefined {
  const totalCount = counts.reduce((a, b) => a + b, 0);
  if (!(totalCount > 0)) return undefined;
  const rank = q * totalCount;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] as number;
    const upper = bounds[i] as number;
    if (below + inBucket >= rank && inBucket > 0) {
      if (upper === Infinity) return bounds[i - 1] ?? 0;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      return lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return bounds[bounds.length - 2];
}

/** Least-squares slope of (t, v) points per second: PromQL deriv(). */
function slope(points: readonly { at: number; value: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const meanT = points.reduce((s, p) => s + p.at, 0) / n;
  const meanV = points.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.at - meanT) * (p.value - meanV);
    den += (p.at - meanT) ** 2;
  }
  return den > 0 ? (num / den) * 1000 : undefined;
}

export class Prometheus {
  private readonly scrapes: Scrape[] = [];
  private nextScrape = -Infinity;

  constructor(private readonly model: PlatformModel) {}

  /** Called every model step; scrapes when a scrape is due. */
  tick(now: number): void {
    if (now < this.nextScrape) return;
    this.nextScrape = now + SCRAPE_SECONDS * 1000;
    this.scrapes.push({ at: now, series: structuredClone(this.model.exported) });
    if (this.scrapes.length > KEPT_SCRAPES) this.scrapes.shift();
  }

  private window(now: number, seconds = RATE_WINDOW_SECONDS): Scrape[] {
    return this.scrapes.filter((s) => s.at <= now && s.at > now - seconds * 1000);
  }

  private latest(now: number): Scrape | undefined {
    const window = this.window(now);
    return window[window.length - 1];
  }

  /** rate() of a counter over the window, per second; undefined with fewer than two samples. */
  rate(now: number, counter: (s: ExportedSeries) => number, seconds = RATE_WINDOW_SECONDS): number | undefined {
    const window = this.window(now, seconds);
    const first = window[0];
    const last = window[window.length - 1];
    if (!first || !last || last.at === first.at) return undefined;
    return Math.max(0, counter(last.series) - counter(first.series)) / ((last.at - first.at) / 1000);
  }

  private increase(now: number, counter: (s: ExportedSeries) => number[]): number[] | undefined {
    const window = this.window(now);
    const first = window[0];
    const last = window[window.length - 1];
    if (!first || !last || last.at === first.at) return undefined;
    const before = counter(first.series);
    return counter(last.series).map((v, i) => v - (before[i] ?? 0));
  }

  /** Everything operator/autoscaling/signals/collect.ts would deliver at `now`. */
  signals(now: number): PlatformSignals {
    const latest = this.latest(now);
    if (!latest) return { observedAt: 0 };
    const gauges = latest.series;
    const requestRate: Partial<Record<SlaClass, number>> = {};
    const p95LatencySeconds: Partial<Record<SlaClass, number>> = {};
    for (const c of SLA_CLASS_NAMES) {
      const rate = this.rate(now, (s) => s.api.requests[c]);
      if (rate === undefined) continue;
      requestRate[c] = rate;
      const buckets = this.increase(now, (s) => s.api.buckets[c]);
      const p95 = buckets && histogramQuantile(0.95, HISTOGRAM_BOUNDS, buckets);
      if (p95 !== undefined) p95LatencySeconds[c] = p95;
    }
    const allRequests = this.rate(now, (s) => SLA_CLASS_NAMES.reduce((sum, c) => sum + s.api.requests[c], 0));
    const errors = this.rate(now, (s) => s.api.errors);
    const queues: Partial<Record<WorkerQueue, QueueSignals>> = {};
    for (const q of WORKER_QUEUES) {
      const g = gauges.queues[q];
      const completionRate = this.rate(now, (s) => s.queues[q].completed);
      const queued = slope(
        this.window(now).map((s) => ({
          at: s.at,
          value: s.series.queues[q].waiting + s.series.queues[q].prioritized + s.series.queues[q].active,
        })),
      );
      const durationSum = this.rate(now, (s) => s.queues[q].durationSum);
      const buckets = this.increase(now, (s) => s.queues[q].durationBuckets);
      queues[q] = {
        waiting: g.waiting,
        prioritized: g.prioritized,
        delayed: g.delayed,
        active: g.active,
        arrivalRate: completionRate !== undefined && queued !== undefined ? Math.max(0, completionRate + queued) : undefined,
        completionRate,
        oldestWaitingAgeSeconds: g.oldestWaitingAgeSeconds,
        meanJobDurationSeconds: durationSum !== undefined && completionRate ? durationSum / completionRate : undefined,
        p95JobDurationSeconds: buckets ? histogramQuantile(0.95, HISTOGRAM_BOUNDS, buckets) : undefined,
        readyPods: g.pods,
      };
    }
    const at = latest.at;
    return {
      observedAt: at,
      windowSeconds: RATE_WINDOW_SECONDS,
      sampledAt: { api: at, queues: at, postgres: at, redis: at },
      api: {
        requestRate,
        p95LatencySeconds,
        errorRatio: allRequests && errors !== undefined ? errors / allRequests : undefined,
        cpuCores: this.rate(now, (s) => s.api.cpuSeconds),
        readyPods: gauges.api.pods,
      },
      queues,
      postgres: {
        readQps: this.rate(now, (s) => s.postgres.readQueries),
        replicaCpuCores: this.rate(now, (s) => s.postgres.replicaCpuSeconds),
        maxReplicaLagSeconds: gauges.postgres.lagSeconds,
        connectionUseRatio: gauges.postgres.backends / gauges.postgres.maxConnections,
        readyReplicas: gauges.postgres.healthyReplicas,
      },
      redis: {
        totalMemoryBytes: gauges.redis.memoryBytes,
        maxShardMemoryBytes: gauges.redis.maxShardMemoryBytes,
        shardMaxMemoryBytes: gauges.redis.maxmemoryBytes,
        opsPerSecond: this.rate(now, (s) => s.redis.commands),
        readyShards: gauges.redis.shards,
      },
    };
  }

  /** CPU cores a component's pods use together over `seconds`, from cAdvisor's counter. */
  cpuCores(component: Component, now: number, seconds = RATE_WINDOW_SECONDS): number | undefined {
    if (component === 'api') return this.rate(now, (s) => s.api.cpuSeconds, seconds);
    if (component === 'worker-uploads') return this.rate(now, (s) => s.queues.uploads.cpuSeconds, seconds);
    if (component === 'worker-reports') return this.rate(now, (s) => s.queues.reports.cpuSeconds, seconds);
    if (component === 'postgres-replicas') return this.rate(now, (s) => s.postgres.replicaCpuSeconds, seconds);
    return undefined;
  }

  /** metrics-server's CPU over its 30 s window for the ready pods, as a share of their request (what the HPA reads). */
  cpuUtilization(component: Component, now: number, requestCores: number): number | undefined {
    const latest = this.latest(now);
    if (!latest) return undefined;
    const s = latest.series;
    const pods: Record<Component, number> = {
      api: s.api.pods,
      'worker-uploads': s.queues.uploads.pods,
      'worker-reports': s.queues.reports.pods,
      'postgres-replicas': s.postgres.healthyReplicas,
      'redis-shards': 0,
    };
    const used = this.cpuCores(component, now, METRICS_SERVER_WINDOW_SECONDS);
    if (used === undefined || pods[component] === 0) return undefined;
    return used / (pods[component] * requestCores);
  }

  /** `sum(rate(http_server_request_duration_seconds_count[1m]))`: a KEDA Prometheus trigger on request rate. */
  requestRate(now: number): number | undefined {
    return this.rate(now, (s) => SLA_CLASS_NAMES.reduce((sum, c) => sum + s.api.requests[c], 0));
  }

  /** A queue's jobs in the given states, as last scraped (`max by (queue, state)` of the workers' gauge). */
  queueJobs(queue: WorkerQueue, now: number, states: readonly ('waiting' | 'prioritized' | 'active' | 'delayed')[]): number | undefined {
    const latest = this.latest(now);
    if (!latest) return undefined;
    return states.reduce((sum, state) => sum + latest.series.queues[queue][state], 0);
  }
}
