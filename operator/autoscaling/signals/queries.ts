/**
 * The PromQL behind every autoscaling signal, built from the metric names in core/metric-names.ts.
 * Each signal reads the exporter a cluster really has for it:
 * - the API's and workers' own series (HTTP histogram, BullMQ gauges, job histograms);
 * - container CPU from the kubelet's cAdvisor (`container_cpu_usage_seconds_total`, by pod and container);
 * - per-instance PostgreSQL figures from CloudNativePG's exporter (`cnpg_*`), replicas told apart
 *   by `cnpg_pg_replication_in_recovery`;
 * - Redis from the redis_exporter beside each node, primaries told apart by `redis_instance_info{role}`.
 * Queue gauges are queue-wide (every worker pod reads the same BullMQ counts), so they are taken
 * once with `max by`, never summed over pods. Per-pod counters (jobs finished, durations) are summed.
 * Series are joined on `namespace` and `pod`, the labels a Kubernetes scrape gives every target.
 */
import { childNames } from '../../../cdk8s/platform/names.js';
import { METRIC } from '../../../core/metric-names.js';
import { UNCLASSIFIED } from '../../../core/sla.js';
import type { WorkerQueue } from '../../../platform-api/v1alpha1/index.js';

export interface SignalScope {
  /** Label matchers shared by every query, e.g. `namespace="campus"`; empty for a single platform. */
  matchers: string;
  /** Window of rate() and quantiles: at least four scrape intervals. */
  window: string;
  /** The PassPlatform's name: its children's pod names (`<name>-api-…`, `<name>-db-2`) pick its series. */
  platform: string;
}

export const DEFAULT_WINDOW = '1m';

function select(scope: SignalScope, ...extra: string[]): string {
  return `{${[scope.matchers, ...extra].filter(Boolean).join(', ')}}`;
}

/** Pods of a Deployment: `<deployment>-<replicaset hash>-<suffix>`. */
function deploymentPods(deployment: string): string {
  return `pod=~"${deployment}-[a-z0-9]+-[a-z0-9]+"`;
}

/** The matcher of a scaled pod component's pods (its Deployment's), as cAdvisor labels them. */
export function componentPods(platform: string, component: 'api' | `worker-${WorkerQueue}`): string {
  const names = childNames(platform);
  return deploymentPods(component === 'api' ? names.api : names.worker(component.slice('worker-'.length)));
}

/** Pods of a StatefulSet or CloudNativePG instances: `<name>-<ordinal>`. */
function ordinalPods(name: string): string {
  return `pod=~"${name}-[0-9]+"`;
}

const API = 'component="api"';
const WORKERS = 'component="workers"';
const HTTP = METRIC.httpServerDuration;
const CLASSIFIED = `sla_class!="${UNCLASSIFIED}"`;
const ON_POD = 'on (namespace, pod)';

/** CPU cores the selected containers use together, from cAdvisor. */
function containerCpu(scope: SignalScope, pods: string, container: string): string {
  // cpu="total" is cAdvisor's only value for this metric today; naming it keeps per-CPU series out if enabled.
  return `rate(${METRIC.containerCpuUsage}${select(scope, pods, `container="${container}"`)}[${scope.window}])`;
}

export function apiQueries(scope: SignalScope) {
  const w = scope.window;
  const pods = deploymentPods(childNames(scope.platform).api);
  return {
    requestRateByClass: `sum by (sla_class) (rate(${HTTP}_count${select(scope, API, CLASSIFIED)}[${w}]))`,
    p95ByClass: `histogram_quantile(0.95, sum by (sla_class, le) (rate(${HTTP}_bucket${select(scope, API, CLASSIFIED)}[${w}])))`,
    errorRatio:
      `sum(rate(${HTTP}_count${select(scope, API, 'http_response_status_code=~"5.."')}[${w}]))` +
      ` / sum(rate(${HTTP}_count${select(scope, API)}[${w}]))`,
    cpuCores: `sum(${containerCpu(scope, pods, 'app')})`,
    maxMemoryBytes: `max(${METRIC.processResidentMemory}${select(scope, API)})`,
    readyPods: `count(${METRIC.processStartTime}${select(scope, API)})`,
    realtimeConnections: `sum(${METRIC.realtimeConnections}${select(scope, API)})`,
    realtimeMaxConnectionsPerPod: `min(${METRIC.realtimeMaxConnections}${select(scope, API)})`,
    /** When the newest API sample was scraped (epoch seconds). */
    sampledAt: `max(timestamp(${METRIC.processStartTime}${select(scope, API)}))`,
  };
}

/**
 * API requests served over the `seconds` before the query's evaluation time (for cost per 1,000
 * requests): users' requests, not probes and scrapes (`/health`, `/ready`, `/metrics`: no SLA class).
 */
export function apiRequestsOver(scope: Pick<SignalScope, 'matchers'>, seconds: number): string {
  return `sum(increase(${HTTP}_count{${[scope.matchers, API, CLASSIFIED].filter(Boolean).join(', ')}}[${Math.max(1, Math.round(seconds))}s]))`;
}

/** Distinct users of the calendar month as far as the `seconds` before the evaluation time go (the API's HyperLogLogs). */
export function activeUsersOver(scope: Pick<SignalScope, 'matchers'>, seconds: number): string {
  const selector = [scope.matchers, API, 'window="month"'].filter(Boolean).join(', ');
  return `max(max_over_time(${METRIC.activeUsers}{${selector}}[${Math.max(1, Math.round(seconds))}s]))`;
}

export function queueQueries(scope: SignalScope) {
  const w = scope.window;
  const jobs = METRIC.queueJobs;
  const completions = `sum by (queue) (rate(${METRIC.jobsProcessed}${select(scope, WORKERS)}[${w}]))`;
  // Queue-wide: the same count from every worker pod, so one value per queue and state.
  const jobsOnce = (...extra: string[]) => `max by (queue, state) (${jobs}${select(scope, WORKERS, ...extra)})`;
  return {
    jobsByState: jobsOnce(),
    oldestWaitingAge: `max by (queue) (${METRIC.queueOldestWaitingAge}${select(scope, WORKERS)})`,
    completionRate: completions,
    // Jobs added = jobs finished + growth of what is queued or running (BullMQ has no "added" counter).
    arrivalRate: `${completions} + deriv((sum by (queue) (${jobsOnce('state=~"waiting|prioritized|active"')}))[${w}:])`,
    meanJobDuration:
      `sum by (queue) (rate(${METRIC.jobDuration}_sum${select(scope, WORKERS)}[${w}]))` +
      ` / sum by (queue) (rate(${METRIC.jobDuration}_count${select(scope, WORKERS)}[${w}]))`,
    p95JobDuration: `histogram_quantile(0.95, sum by (queue, le) (rate(${METRIC.jobDuration}_bucket${select(scope, WORKERS)}[${w}])))`,
    /** Worker processes of one queue's Deployment that Prometheus scrapes. */
    readyPods: (queue: WorkerQueue) =>
      `count(${METRIC.processStartTime}${select(scope, WORKERS, deploymentPods(childNames(scope.platform).worker(queue)))})`,
    sampledAt: `max(timestamp(${jobs}${select(scope, WORKERS)}))`,
  };
}

export function postgresQueries(scope: SignalScope) {
  const w = scope.window;
  const instances = ordinalPods(childNames(scope.platform).database);
  const replicas = `(${METRIC.cnpgInRecovery}${select(scope, instances)} == 1)`;
  const onReplicas = (vector: string) => `(${vector} and ${ON_POD} ${replicas})`;
  const xacts = (metric: string) => `rate(${metric}${select(scope, instances, 'datname="app"')}[${w}])`;
  return {
    readQps: `sum(${onReplicas(xacts(METRIC.cnpgXactCommit))}) + sum(${onReplicas(xacts(METRIC.cnpgXactRollback))})`,
    replicaCpuCores: `sum(${onReplicas(containerCpu(scope, instances, 'postgres'))})`,
    maxReplicaLag: `max(${onReplicas(`${METRIC.cnpgReplicationLag}${select(scope, instances)}`)})`,
    /** The busiest instance's backends over its max_connections (every instance has its own limit). */
    connectionUseRatio:
      `max(sum by (namespace, pod) (${METRIC.cnpgBackends}${select(scope, instances)})` +
      ` / ${ON_POD} ${METRIC.cnpgSetting}${select(scope, instances, 'name="max_connections"')})`,
    healthyReplicas: `count(${replicas} and ${ON_POD} (${METRIC.cnpgWalReceiverUp}${select(scope, instances)} == 1))`,
    sampledAt: `max(timestamp(${METRIC.cnpgInRecovery}${select(scope, instances)}))`,
  };
}

export function redisQueries(scope: SignalScope) {
  const w = scope.window;
  const nodes = ordinalPods(childNames(scope.platform).redis);
  const primaries = `${METRIC.redisInstanceInfo}${select(scope, nodes, 'role="master"')}`;
  const onPrimaries = (vector: string) => `(${vector} and ${ON_POD} ${primaries})`;
  return {
    maxShardMemory: `max(${onPrimaries(`${METRIC.redisMemoryUsed}${select(scope, nodes)}`)})`,
    totalMemory: `sum(${onPrimaries(`${METRIC.redisMemoryUsed}${select(scope, nodes)}`)})`,
    shardMaxMemory: `max(${METRIC.redisMemoryMax}${select(scope, nodes)})`,
    opsPerSecond: `sum(${onPrimaries(`rate(${METRIC.redisCommandsProcessed}${select(scope, nodes)}[${w}])`)})`,
    shards: `count(${primaries})`,
    sampledAt: `max(timestamp(${METRIC.redisMemoryUsed}${select(scope, nodes)}))`,
  };
}
