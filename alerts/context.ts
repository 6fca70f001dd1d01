/**
 * What every rule builder reads: the platform's thresholds and SLA targets (from its spec, or the
 * catalog's defaults) and where its series live.
 */
import { DEFAULT_AUTOSCALING, type AlertThresholdSpec, type SlaSpec } from '../platform-api/v1alpha1/index.js';
import { alertRendering, type AlertRendering } from './annotations.js';
import type { Matchers } from './promql.js';

/** Queue alert limits. The SLA catalog has none for queues, so these are ours, overridable per platform. */
export interface QueueAlertSpec {
  /** Waiting jobs above which a still-growing backlog alerts. */
  backlogJobs: number;
  /** Age of the oldest waiting job that warns, and that pages. */
  oldestWaitingWarningSeconds: number;
  oldestWaitingCriticalSeconds: number;
}

/**
 * A backlog of 1,000 is twenty rounds of the seed's 50 concurrent uploads; a user waiting five
 * minutes for an upload to be processed notices, fifteen minutes means the workers are not draining.
 */
export const DEFAULT_QUEUE_ALERTS: QueueAlertSpec = {
  backlogJobs: 1000,
  oldestWaitingWarningSeconds: 300,
  oldestWaitingCriticalSeconds: 900,
};

/**
 * Below this request rate a p95, a hit ratio or a week-over-week comparison is noise (a handful of
 * requests), so the degradation alerts stay quiet.
 */
export const MIN_REQUESTS_PER_SECOND_FOR_DEGRADATION = 1;

/**
 * Below this request rate (30 requests in the 5-minute window) the seed's latency and error
 * thresholds stay quiet: one 503 among five requests a minute is not an outage worth a page.
 */
export const MIN_REQUESTS_PER_SECOND_FOR_THRESHOLDS = 0.1;

/** Fewer finished jobs than this in the failure window (15 minutes) are too few for a failure ratio. */
export const MIN_FINISHED_JOBS_FOR_FAILURE_RATIO = 10;

/** The autoscaler counts as stuck when it has missed this many of its runs. */
export const AUTOSCALER_MISSED_RUNS = 10;

export interface RuleBuildOptions {
  /** Selects the platform's API and worker series, e.g. `{ namespace: 'campus' }`. */
  workloadMatchers?: Matchers;
  /** Selects the operator's series about this platform, e.g. `{ platform: 'main', platform_namespace: 'campus' }`. */
  platformMatchers?: Matchers;
  /** The platform's autoscaling interval (spec.autoscaling.intervalSeconds). */
  autoscalingIntervalSeconds?: number;
  /** Whether the platform autoscales; without it there is no autoscaler to go stale. */
  autoscalingEnabled?: boolean;
  queues?: Partial<QueueAlertSpec>;
  runbookBaseUrl?: string;
  /**
   * Caps every alert's `for:` (a Prometheus duration). Only for tests that drive alerts on a real
   * Prometheus within minutes; a deployed platform keeps each rule's own hold time.
   */
  maxFor?: string;
}

export interface RuleContext {
  alerts: AlertThresholdSpec;
  sla: SlaSpec;
  workload: Matchers;
  platform: Matchers;
  autoscalingIntervalSeconds: number;
  autoscalingEnabled: boolean;
  queues: QueueAlertSpec;
  rendering: AlertRendering;
}

/** Labels every workload aggregation keeps: one platform per namespace. */
export const SCOPE_LABELS = ['namespace'] as const;

export function ruleContext(alerts: AlertThresholdSpec, sla: SlaSpec, options: RuleBuildOptions = {}): RuleContext {
  return {
    alerts,
    sla,
    workload: options.workloadMatchers ?? {},
    platform: options.platformMatchers ?? {},
    autoscalingIntervalSeconds: options.autoscalingIntervalSeconds ?? DEFAULT_AUTOSCALING.intervalSeconds,
    autoscalingEnabled: options.autoscalingEnabled ?? DEFAULT_AUTOSCALING.enabled,
    queues: { ...DEFAULT_QUEUE_ALERTS, ...options.queues },
    rendering: alertRendering(options),
  };
}
