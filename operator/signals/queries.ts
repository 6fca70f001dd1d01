/**
 * The PromQL behind every autoscaling signal, built from the metric names in core/metric-names.ts
 * (the names the API, workers and exporters export), so the queries cannot drift from the code
 * that produces the series. Selectors narrow each query to one platform's pods.
 */
import { METRIC } from '../../core/metric-names.js';
import { UNCLASSIFIED } from '../../core/sla.js';

export interface SignalScope {
  /** Label matchers shared by every query, e.g. `namespace="campus"`; empty for a single platform. */
  matchers: string;
  /** Window of rate() and quantiles: at least four scrape intervals. */
  window: string;
}

export const DEFAULT_SCOPE: SignalScope = { matchers: '', window: '1m' };

function select(scope: SignalScope, ...extra: string[]): string {
  return `{${[scope.matchers, ...extra].filter(Boolean).join(', ')}}`;
}

const API = 'component="api"';
const WORKERS = 'component="workers"';
const HTTP = METRIC.httpServerDuration;
const CLASSIFIED = `sla_class!="${UNCLASSIFIED}"`;

export function apiQueries(scope: SignalScope) {
  const w = scope.window;
  return {
    requestRateByClass: `sum by (sla_class) (rate(${HTTP}_count${select(scope, API, CLASSIFIED)}[${w}]))`,
    p95ByClass: `histogram_quantile(0.95, sum by (sla_class, le) (rate(${HTTP}_bucket${select(scope, API, CLASSIFIED)}[${w}])))`,
    errorRatio:
      `sum(rate(${HTTP}_count${select(scope, API, 'http_response_status_code=~"5.."')}[${w}]))` +
      ` / sum(rate(${HTTP}_count${select(scope, API)}[${w}]))`,
    cpuCores: `sum(rate(${METRIC.processCpuSeconds}${select(scope, API)}[${w}]))`,
    maxMemoryBytes: `max(${METRIC.processResidentMemory}${select(scope, API)})`,
    readyPods: `count(${METRIC.processStartTime}${select(scope, API)})`,
  };
}

/** API requests served over the `seconds` before the query's evaluation time (for cost per 1,000 requests). */
export function apiRequestsOver(scope: SignalScope, seconds: number): string {
  return `sum(increase(${HTTP}_count${select(scope, API)}[${Math.max(1, Math.round(seconds))}s]))`;
}

export function queueQueries(scope: SignalScope) {
  const w = scope.window;
  const jobs = METRIC.queueJobs;
  const completions = `sum by (queue) (rate(${METRIC.jobsProcessed}${select(scope, WORKERS)}[${w}]))`;
  return {
    jobsByState: `sum by (queue, state) (${jobs}${select(scope, WORKERS)})`,
    oldestWaitingAge: `max by (queue) (${METRIC.queueOldestWaitingAge}${select(scope, WORKERS)})`,
    completionRate: completions,
    // Jobs added = jobs finished + growth of what is waiting (BullMQ has no "added" counter).
    arrivalRate: `${completions} + sum by (queue) (deriv(${jobs}${select(scope, WORKERS, 'state=~"waiting|prioritized|active"')}[${w}]))`,
    meanJobDuration:
      `sum by (queue) (rate(${METRIC.jobDuration}_sum${select(scope, WORKERS)}[${w}]))` +
      ` / sum by (queue) (rate(${METRIC.jobDuration}_count${select(scope, WORKERS)}[${w}]))`,
    p95JobDuration: `histogram_quantile(0.95, sum by (queue, le) (rate(${METRIC.jobDuration}_bucket${select(scope, WORKERS)}[${w}])))`,
    readyPods: `count(${METRIC.processStartTime}${select(scope, WORKERS)})`,
  };
}

export function postgresQueries(scope: SignalScope) {
  const w = scope.window;
  return {
    readQps: `sum(rate(${METRIC.dbClientOperationDuration}_count${select(scope, 'pool!="primary"')}[${w}]))`,
    maxReplicaLag: `max(${METRIC.dbReplicaLag}${select(scope)})`,
    connectionUseRatio:
      `sum(${METRIC.dbPoolConnections}${select(scope, 'state="used"')})` + ` / sum(${METRIC.dbPoolMax}${select(scope)})`,
    healthyReplicas: `count(count by (replica) (${METRIC.dbReplicaHealthy}${select(scope)} == 1))`,
  };
}

export function redisQueries(scope: SignalScope) {
  const w = scope.window;
  return {
    maxShardMemory: `max(${METRIC.redisMemoryUsed}${select(scope)})`,
    totalMemory: `sum(${METRIC.redisMemoryUsed}${select(scope)})`,
    shardMaxMemory: `max(${METRIC.redisMemoryMax}${select(scope)})`,
    opsPerSecond: `sum(rate(${METRIC.redisCommandsProcessed}${select(scope)}[${w}]))`,
    nodes: `count(${METRIC.redisMemoryUsed}${select(scope)})`,
  };
}
