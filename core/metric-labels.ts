/**
 * The labels of every metric the platform exports, in one place beside their names
 * (`metric-names.ts`). The exporters declare their `labelNames` from here and the alert rules,
 * dashboards and autoscaler build their matchers and groupings from here (`alerts/promql.ts`
 * `matchLabel`, `labelsOf`), so a rule reading `result` where the workers write `outcome` no longer
 * type-checks. `alerts/exported-labels.test.ts` checks the other direction against real scrapes.
 */
import type { METRIC } from './metric-names.js';

export type MetricKey = keyof typeof METRIC;

/** Labels a metric's every series carries, by the key of its name in `METRIC`. Unlisted metrics have none of their own. */
export const METRIC_LABELS = {
  httpServerDuration: ['http_request_method', 'http_route', 'http_response_status_code', 'sla_class'],
  cacheRequests: ['cache', 'level', 'result'],
  rateLimited: ['scope'],
  dbPoolConnections: ['pool', 'state'],
  dbPoolMax: ['pool'],
  dbClientOperationDuration: ['pool', 'db_operation_name', 'outcome'],
  dbReplicaLag: ['replica'],
  dbReplicaHealthy: ['replica'],
  passVerifications: ['outcome'],
  activeUsers: ['window'],
  volumeFreeBytes: ['volume'],
  volumeSizeBytes: ['volume'],
  queueJobs: ['queue', 'state'],
  queueOldestWaitingAge: ['queue'],
  jobDuration: ['queue', 'outcome'],
  jobsProcessed: ['queue', 'outcome'],
  reconcileTotal: ['platform', 'platform_namespace', 'result'],
  reconcileDuration: ['platform', 'platform_namespace', 'result'],
  desiredReplicas: ['platform', 'platform_namespace', 'component'],
  appliedReplicas: ['platform', 'platform_namespace', 'component'],
  scalingDecisions: ['platform', 'platform_namespace', 'component', 'direction'],
  autoscalerLastRun: ['platform', 'platform_namespace'],
  costSpendRate: ['platform', 'platform_namespace'],
  costMonthToDate: ['platform', 'platform_namespace'],
  costMonthProjection: ['platform', 'platform_namespace'],
  costBudget: ['platform', 'platform_namespace'],
  costLineSpendRate: ['platform', 'platform_namespace', 'cost_line'],
  costLineMonthToDate: ['platform', 'platform_namespace', 'cost_line'],
  costLineIdleMonthToDate: ['platform', 'platform_namespace', 'cost_line'],
  cnpgBackends: ['datname', 'usename', 'application_name', 'state'],
  cnpgSetting: ['name'],
  // cAdvisor, as the kubelet's /metrics/cadvisor exports them (scraped with honor_labels: the namespace and pod are the container's).
  containerCpuUsage: ['container', 'id', 'image', 'name', 'namespace', 'pod'],
  containerMemoryWorkingSet: ['container', 'id', 'image', 'name', 'namespace', 'pod'],
  kubeletVolumeAvailable: ['persistentvolumeclaim'],
  kubeletVolumeCapacity: ['persistentvolumeclaim'],
} as const satisfies Partial<Record<MetricKey, readonly string[]>>;

type Declared = typeof METRIC_LABELS;

/** The label names of one metric (none for metrics without labels of their own). */
export type LabelOf<M extends MetricKey> = M extends keyof Declared ? Declared[M][number] : never;

/** Mutable copy of a metric's labels, as prom-client's `labelNames` wants them. */
export function labelNamesOf<M extends keyof Declared>(metric: M): Declared[M][number][] {
  return [...METRIC_LABELS[metric]];
}

/**
 * Label values the rules select on, written by the exporters from the same constants.
 * Job attempts: `retrying` is a failed attempt that will be retried, `failed` the last one.
 */
export const JOB_OUTCOME = { completed: 'completed', failed: 'failed', retrying: 'retrying' } as const;
export type JobOutcome = (typeof JOB_OUTCOME)[keyof typeof JOB_OUTCOME];

/** `requeue`: the reconcile met a conflict (someone wrote an object since it was read) and runs again; not an error. */
export const RECONCILE_RESULT = { success: 'success', requeue: 'requeue', error: 'error' } as const;
export type ReconcileResult = (typeof RECONCILE_RESULT)[keyof typeof RECONCILE_RESULT];

export const CACHE_RESULT = { hit: 'hit', miss: 'miss' } as const;

export const POOL_STATE = { used: 'used', idle: 'idle', waiting: 'waiting' } as const;

/**
 * Labels a Kubernetes scrape adds to every series (the ServiceMonitor's relabelling, or a test's
 * static scrape labels), and `component`, which every process's registry sets by default.
 */
export const TARGET_LABELS = ['namespace', 'pod', 'instance', 'job', 'component'] as const;
export type TargetLabel = (typeof TARGET_LABELS)[number];
