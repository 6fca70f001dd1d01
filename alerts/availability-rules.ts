/**
 * Absence and hang alerts: what the threshold alerts cannot see because a process that is gone or
 * stuck exports nothing to compare. A scrape target down (`up`), no API or no worker of a queue
 * scraped at all (`absent()`), requests piling up in flight while none completes (a dependency
 * that hangs rather than fails), and readiness probes failing.
 */
import { METRIC } from '../core/metric-names.js';
import { QUEUE_NAMES } from '../core/queues.js';
import { ALERT_THRESHOLDS, UNCLASSIFIED } from '../core/sla.js';
import { formatSeconds, toAlertingRule, type AlertDefinition } from './annotations.js';
import { SCOPE_LABELS, type RuleContext } from './context.js';
import { labelIs, num, rate, sel, sumBy } from './promql.js';
import { SCALING_TEAM } from './queue-rules.js';
import { USER_TRAFFIC } from './recording-rules.js';
import type { RuleGroup } from './rule-types.js';

const { critical, warning } = ALERT_THRESHOLDS;

/** One series per scraped API process; it exists as long as the process answers scrapes. The operator's `absent()` check is in operator-rules.ts. */
const API_PRESENCE = METRIC.httpServerActiveRequests;
/** Workers export their queues' depth, per queue they serve, at every scrape. */
const WORKER_PRESENCE = METRIC.queueJobs;

/** Window over which in-flight requests and completions are compared. */
const HANG_WINDOW = '2m';
/**
 * Little's law: requests in flight = completions per second × mean time in the system. More in
 * flight than the critical p95 threshold's worth of completions means requests take longer than
 * that on average: they hang.
 */
const HANG_SECONDS = critical.latencyP95Seconds.value;

const BY_POD = [...SCOPE_LABELS, 'pod', 'instance'];

export function availabilityRuleGroup(ctx: RuleContext): RuleGroup {
  const definitions = [targetDownAlert(ctx), apiAbsentAlert(ctx), workersAbsentAlert(ctx), requestsHangingAlert(ctx), notReadyAlert(ctx)];
  return { name: 'passplatform-availability', rules: definitions.map((d) => toAlertingRule(d, ctx.rendering)) };
}

function targetDownAlert(ctx: RuleContext): AlertDefinition {
  return {
    name: 'ScrapeTargetDown',
    expr: `${sel(METRIC.up, ctx.workload)} == 0`,
    for: '5m',
    severity: 'warning',
    team: warning.errorRatio.team,
    summary: 'Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}',
    description: (value) =>
      `The {{ $labels.job }} target {{ $labels.instance }} in {{ $labels.namespace }} has not answered its scrapes (up = ${value}): ` +
      'the process is stopped, hung or unreachable, and every alert reading its series is blind.',
    valueFormat: 'number',
  };
}

/**
 * Replicas of `component` the operator applied for each platform (> 0), as series labelled with
 * the platform's `namespace`: what should be scraped there. Absence is judged against it, so a
 * platform that was never installed or was deleted does not alert, and no namespace is hard-coded.
 */
function expectedReplicas(ctx: RuleContext, component: string, extra = ''): string {
  const applied = `max by (platform_namespace, component) (${sel(METRIC.appliedReplicas, ctx.platform, labelIs('appliedReplicas', 'component', component))})`;
  const withNamespace = `label_replace(${applied}, "namespace", "$1", "platform_namespace", "(.+)")`;
  return `${extra ? `label_replace(${withNamespace}, ${extra})` : withNamespace} > 0`;
}

function apiAbsentAlert(ctx: RuleContext): AlertDefinition {
  const scraped = `count by (namespace) (${sel(API_PRESENCE, ctx.workload)})`;
  return {
    name: 'ApiAbsent',
    expr: `${expectedReplicas(ctx, 'api')}\nunless on (namespace)\n${scraped}`,
    for: '5m',
    severity: 'critical',
    team: critical.errorRatio.team,
    summary: 'No API pod of {{ $labels.namespace }} is being scraped',
    description: (value) =>
      `The operator runs ${value} API replicas in {{ $labels.namespace }}, yet Prometheus has no series from any of them: ` +
      'they crash, hang or cannot be reached. Users get no answer, and the latency and error alerts cannot fire without data.',
    valueFormat: 'number',
  };
}

function workersAbsentAlert(ctx: RuleContext): AlertDefinition {
  const expected = QUEUE_NAMES.map((queue) => expectedReplicas(ctx, `worker-${queue}`, `"queue", "${queue}", "component", ".*"`));
  const scraped = `count by (namespace, queue) (${sel(WORKER_PRESENCE, ctx.workload)})`;
  return {
    name: 'QueueWorkersAbsent',
    expr: `(\n${expected.join('\nor\n')}\n)\nunless on (namespace, queue)\n${scraped}`,
    for: '5m',
    severity: 'critical',
    team: SCALING_TEAM,
    summary: 'No worker of the {{ $labels.queue }} queue in {{ $labels.namespace }} is being scraped',
    description: (value) =>
      `The operator runs ${value} workers for the {{ $labels.queue }} queue in {{ $labels.namespace }}, yet Prometheus has no ` +
      'series from any of them: its jobs wait unprocessed and the queue alerts cannot see them.',
    valueFormat: 'number',
  };
}

/**
 * Requests pile up in flight while few or none complete: a dependency that hangs (a paused Redis,
 * a locked table) rather than fails, which neither the error ratio (nothing completes) nor the p95
 * (read from completed requests) can show. The scrape answering this gauge is itself in flight,
 * hence the `- 1`.
 */
function requestsHangingAlert(ctx: RuleContext): AlertDefinition {
  const inFlight = `(${sumBy(BY_POD, `avg_over_time(${sel(METRIC.httpServerActiveRequests, ctx.workload)}[${HANG_WINDOW}])`)} - 1)`;
  const completions = sumBy(BY_POD, rate(sel(`${METRIC.httpServerDuration}_count`, ctx.workload, USER_TRAFFIC), HANG_WINDOW));
  return {
    name: 'ApiRequestsHanging',
    expr: `${inFlight} > 1\nand\n${inFlight} > ${num(HANG_SECONDS)} * (${completions} or ${inFlight} * 0)`,
    for: '2m',
    severity: 'critical',
    team: critical.latencyP95Seconds.team,
    summary: 'Requests hang in API pod {{ $labels.pod }} of {{ $labels.namespace }}',
    description: (value) =>
      `{{ $labels.pod }} ({{ $labels.instance }}) holds ${value} requests in flight on average while they complete slower than ` +
      `one per ${formatSeconds(HANG_SECONDS)} each: a dependency hangs instead of failing.`,
    valueFormat: 'number',
  };
}

/** Every readiness probe of a pod failed over the window: Kubernetes has taken it out of its Service. */
function notReadyAlert(ctx: RuleContext): AlertDefinition {
  const probes = (status: string) =>
    sumBy(
      BY_POD,
      rate(sel(`${METRIC.httpServerDuration}_count`, { ...ctx.workload, http_route: '/ready', sla_class: UNCLASSIFIED }, status), '2m'),
    );
  const failed = probes(`http_response_status_code!="200"`);
  const passed = probes(labelIs('httpServerDuration', 'http_response_status_code', '200'));
  return {
    name: 'ApiNotReady',
    expr: `${failed} > 0\nunless on (${BY_POD.join(', ')})\n${passed} > 0`,
    for: '5m',
    severity: 'warning',
    team: warning.errorRatio.team,
    summary: 'API pod {{ $labels.pod }} of {{ $labels.namespace }} fails its readiness probe',
    description: (value) =>
      `{{ $labels.pod }} ({{ $labels.instance }}) answered ${value} readiness probes per second, none of them ready, for minutes: ` +
      'Postgres or Redis is unreachable from it, or it is draining. Kubernetes sends it no traffic.',
    valueFormat: 'number',
  };
}
