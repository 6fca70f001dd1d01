/** Scenarios for the alerts on API traffic: latency and error thresholds, degradation and SLO burn rates. */
import { METRIC } from '../../core/metric-names.js';
import { AVAILABILITY_TARGETS, LATENCY_BUCKETS_SECONDS } from '../../core/sla.js';
import { MIN_REQUESTS_PER_SECOND_FOR_DEGRADATION as MIN_RPS, type RuleContext } from '../context.js';
import { SLA_QUANTILE } from '../recording-rules.js';
import {
  NAMESPACE,
  bucketsAround,
  counter,
  httpHistogram,
  httpRequestsWithErrors,
  p95Within,
  series,
  type AlertScenario,
} from './series.js';

const AUTH = {
  namespace: NAMESPACE,
  http_request_method: 'POST',
  http_route: '/auth/login',
  http_response_status_code: '200',
  sla_class: 'auth',
};
const DAY = 1440;
const WEEK = 7 * DAY;

export function thresholdHttpScenarios(ctx: RuleContext): AlertScenario[] {
  const latency = (alert: string, threshold: number): AlertScenario[] => {
    const { below, above: over } = bucketsAround(threshold);
    return [
      {
        alert,
        name: `p95 in (${threshold}s, ${over}s] fires`,
        inputSeries: httpHistogram(AUTH, [{ perStep: 600, steps: 30, bucket: over }]),
        evalTime: '30m',
        fires: [{ labels: { namespace: NAMESPACE, sla_class: 'auth' }, value: p95Within(threshold, over) }],
      },
      {
        alert,
        name: `p95 in (${threshold}s, ${over}s] on two requests a minute stays quiet (below the minimum traffic)`,
        inputSeries: httpHistogram(AUTH, [{ perStep: 2, steps: 30, bucket: over }]),
        evalTime: '30m',
        fires: [],
      },
      {
        alert,
        name: `p95 in (${below}s, ${threshold}s] stays quiet`,
        inputSeries: httpHistogram(AUTH, [{ perStep: 600, steps: 30, bucket: threshold }]),
        evalTime: '30m',
        fires: [],
      },
    ];
  };
  const errors = (alert: string, threshold: number): AlertScenario[] => [
    {
      alert,
      name: `${threshold * 2} of requests failing fires`,
      inputSeries: httpRequestsWithErrors('student_queries', 1000, threshold * 2, 30),
      evalTime: '30m',
      fires: [{ labels: { namespace: NAMESPACE }, value: threshold * 2 }],
    },
    {
      alert,
      name: `${threshold / 2} of requests failing stays quiet`,
      inputSeries: httpRequestsWithErrors('student_queries', 1000, threshold / 2, 30),
      evalTime: '30m',
      fires: [],
    },
    {
      alert,
      name: 'one request a minute, one in five failing, stays quiet (below the minimum traffic)',
      inputSeries: httpRequestsWithErrors('student_queries', 1, 0.2, 30),
      evalTime: '30m',
      fires: [],
    },
  ];
  return [
    ...latency('ApiLatencyP95Critical', ctx.alerts.criticalLatencyP95Seconds),
    ...latency('ApiLatencyP95Warning', ctx.alerts.warningLatencyP95Seconds),
    ...errors('ApiErrorRateCritical', ctx.alerts.criticalErrorRatio),
    ...errors('ApiErrorRateWarning', ctx.alerts.warningErrorRatio),
  ];
}

export function degradationHttpScenarios(ctx: RuleContext): AlertScenario[] {
  const target = ctx.sla.auth;
  const fast = { bucket: target, perStep: 600 };
  // A bucket well beyond 1 + increase times the target, so the increase is unambiguous.
  const slowBucket = LATENCY_BUCKETS_SECONDS.find((b) => b > target * (1 + ctx.alerts.latencyIncreaseRatio) * 2);
  if (slowBucket === undefined) throw new Error('no bucket far enough above the auth target');
  const slowP95 = p95Within(bucketsAround(slowBucket).below, slowBucket);
  const rpsPerMinute = (rps: number) => rps * 60;
  // A week of samples: scraped every 5 minutes to keep promtool quick.
  const perFiveMinutes = (rps: number) => rps * 300;
  const throughput = (after: number) => [
    {
      series: series(`${METRIC.httpServerDuration}_count`, AUTH),
      values: counter({ perStep: perFiveMinutes(10 * MIN_RPS), steps: WEEK / 5 }, { perStep: perFiveMinutes(after * MIN_RPS), steps: 12 }),
    },
  ];
  const dropped = 10 * (1 - ctx.alerts.throughputDecreaseRatio) * 0.5;
  return [
    {
      alert: 'ApiLatencyIncrease',
      name: 'p95 jumping from the target bucket to a far slower one fires',
      inputSeries: httpHistogram(AUTH, [
        { ...fast, steps: DAY },
        { bucket: slowBucket, perStep: 600, steps: 30 },
      ]),
      evalTime: '1d30m',
      fires: [{ labels: { namespace: NAMESPACE, sla_class: 'auth' }, value: slowP95 }],
    },
    {
      alert: 'ApiLatencyIncrease',
      name: 'steady latency stays quiet',
      inputSeries: httpHistogram(AUTH, [{ ...fast, steps: DAY + 30 }]),
      evalTime: '1d30m',
      fires: [],
    },
    {
      alert: 'ApiLatencyIncrease',
      name: 'the same jump below the minimum request rate stays quiet',
      inputSeries: httpHistogram(AUTH, [
        { bucket: target, perStep: rpsPerMinute(MIN_RPS / 2), steps: DAY },
        { bucket: slowBucket, perStep: rpsPerMinute(MIN_RPS / 2), steps: 30 },
      ]),
      evalTime: '1d30m',
      fires: [],
    },
    {
      alert: 'ThroughputDrop',
      name: `throughput falling to ${dropped / 10} of last week's fires`,
      interval: '5m',
      inputSeries: throughput(dropped),
      evalTime: '7d1h',
      fires: [{ labels: { namespace: NAMESPACE }, value: dropped * MIN_RPS }],
    },
    {
      alert: 'ThroughputDrop',
      name: 'throughput as last week stays quiet',
      interval: '5m',
      inputSeries: throughput(10),
      evalTime: '7d1h',
      fires: [],
    },
  ];
}

export function sloScenarios(): AlertScenario[] {
  const errorBudget = 1 - AVAILABILITY_TARGETS.objective;
  const slowAllowance = 1 - SLA_QUANTILE;
  const availability = (alert: string, burn: number, evalTime: string, steps: number, fires: boolean): AlertScenario => ({
    alert,
    name: `errors burning the budget at ${burn}x ${fires ? 'fire' : 'stay quiet'}`,
    inputSeries: httpRequestsWithErrors('pass_generation', 2000, burn * errorBudget, steps),
    evalTime,
    fires: fires ? [{ labels: { namespace: NAMESPACE }, value: burn }] : [],
  });
  const latency = (
    alert: string,
    slaClass: string,
    le: string,
    burn: number,
    evalTime: string,
    steps: number,
    fires: boolean,
  ): AlertScenario => {
    const labels = {
      namespace: NAMESPACE,
      http_request_method: 'GET',
      http_route: `/${slaClass}`,
      http_response_status_code: '200',
      sla_class: slaClass,
    };
    const perStep = 1000;
    return {
      alert,
      name: `${slaClass} requests over target (le="${le}") burning at ${burn}x ${fires ? 'fire' : 'stay quiet'}`,
      inputSeries: [
        { series: series(`${METRIC.httpServerDuration}_count`, labels), values: counter({ perStep, steps }) },
        {
          series: series(`${METRIC.httpServerDuration}_bucket`, { ...labels, le }),
          values: counter({ perStep: perStep * (1 - burn * slowAllowance), steps }),
        },
      ],
      evalTime,
      fires: fires ? [{ labels: { namespace: NAMESPACE, sla_class: slaClass }, value: burn }] : [],
    };
  };
  return [
    availability('AvailabilityErrorBudgetBurnFast', 200, '1h', 60, true),
    availability('AvailabilityErrorBudgetBurnFast', 4, '1h', 60, false),
    availability('AvailabilityErrorBudgetBurnSlow', 5, '1d', DAY, true),
    availability('AvailabilityErrorBudgetBurnSlow', 0.4, '1d', DAY, false),
    latency('LatencySloBudgetBurnFast', 'auth', '0.2', 18, '1h', 60, true),
    // Prometheus 3 writes integral bucket bounds as `5.0`; the rule matches both spellings.
    latency('LatencySloBudgetBurnFast', 'reports', '5.0', 16, '1h', 60, true),
    latency('LatencySloBudgetBurnFast', 'reports', '5', 16, '1h', 60, true),
    latency('LatencySloBudgetBurnFast', 'auth', '0.2', 4, '1h', 60, false),
    latency('LatencySloBudgetBurnSlow', 'student_queries', '0.3', 4, '1d', DAY, true),
    latency('LatencySloBudgetBurnSlow', 'student_queries', '0.3', 0.6, '1d', DAY, false),
  ];
}
