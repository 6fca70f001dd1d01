/** Scenarios for the absence and hang alerts: targets down, no API or worker scraped, hanging requests, readiness. */
import { METRIC } from '../../core/metric-names.js';
import { NAMESPACE, counter, gauge, series, type AlertScenario, type InputSeries } from './series.js';

const API_POD = { namespace: NAMESPACE, pod: 'api-7d9f-0', instance: '10.0.0.7:3000', job: 'main-api' };
const WORKER_POD = { namespace: NAMESPACE, pod: 'main-worker-uploads-0', instance: '10.0.0.8:9464', job: 'main-workers' };
const STEPS = 30;

export function availabilityScenarios(): AlertScenario[] {
  const up = (value: number) => [{ series: series(METRIC.up, API_POD), values: gauge(value, STEPS) }];
  const queues = (queues: string[]): InputSeries[] =>
    queues.map((queue) => ({
      series: series(METRIC.queueJobs, { ...WORKER_POD, component: 'workers', queue, state: 'waiting' }),
      values: gauge(0, STEPS),
    }));
  const operator = { namespace: 'passplatform-system', pod: 'passplatform-operator-0', platform: 'main', platform_namespace: NAMESPACE };
  const applied = (component: string, replicas: number) => ({
    series: series(METRIC.appliedReplicas, { ...operator, component }),
    values: gauge(replicas, STEPS),
  });
  const expected = [applied('api', 2), applied('worker-uploads', 1), applied('worker-reports', 3)];
  const apiPresent = [
    ...expected,
    { series: series(METRIC.httpServerActiveRequests, { ...API_POD, component: 'api' }), values: gauge(1, STEPS) },
  ];
  const count = (labels: Record<string, string>) =>
    series(`${METRIC.httpServerDuration}_count`, { ...API_POD, component: 'api', http_request_method: 'GET', ...labels });
  /** `inFlight` requests held (besides the scrape) while `completedPerMinute` user requests finish. */
  const traffic = (inFlight: number, completedPerMinute: number): InputSeries[] => [
    { series: series(METRIC.httpServerActiveRequests, { ...API_POD, component: 'api' }), values: gauge(inFlight + 1, STEPS) },
    {
      series: count({ http_route: '/students', http_response_status_code: '200', sla_class: 'student_queries' }),
      values: counter({ perStep: completedPerMinute, steps: STEPS }),
    },
    // Scrapes and probes complete even while user requests hang; they are not user traffic.
    {
      series: count({ http_route: '/metrics', http_response_status_code: '200', sla_class: 'none' }),
      values: counter({ perStep: 4, steps: STEPS }),
    },
  ];
  const probes = (failedPerMinute: number, passedPerMinute: number): InputSeries[] => [
    {
      series: count({ http_route: '/ready', http_response_status_code: '503', sla_class: 'none' }),
      values: counter({ perStep: failedPerMinute, steps: STEPS }),
    },
    {
      series: count({ http_route: '/ready', http_response_status_code: '200', sla_class: 'none' }),
      values: counter({ perStep: passedPerMinute, steps: STEPS }),
    },
  ];
  const podLabels = { namespace: NAMESPACE, pod: API_POD.pod, instance: API_POD.instance };
  return [
    {
      alert: 'ScrapeTargetDown',
      name: 'a target failing its scrapes fires',
      inputSeries: up(0),
      evalTime: '30m',
      fires: [{ labels: API_POD, value: 0 }],
    },
    { alert: 'ScrapeTargetDown', name: 'a target answering stays quiet', inputSeries: up(1), evalTime: '30m', fires: [] },
    {
      alert: 'ApiAbsent',
      name: 'no API series at all fires',
      inputSeries: [...expected, ...queues(['uploads', 'reports'])],
      evalTime: '30m',
      fires: [{ labels: { namespace: NAMESPACE, platform_namespace: NAMESPACE, component: 'api' }, value: 2 }],
    },
    {
      alert: 'ApiAbsent',
      name: 'a platform the operator scaled to no API pod stays quiet',
      inputSeries: [applied('api', 0)],
      evalTime: '30m',
      fires: [],
    },
    { alert: 'ApiAbsent', name: 'an API pod scraped stays quiet', inputSeries: apiPresent, evalTime: '30m', fires: [] },
    {
      alert: 'QueueWorkersAbsent',
      name: 'no worker of the reports queue fires',
      inputSeries: [...expected, ...queues(['uploads'])],
      evalTime: '30m',
      fires: [{ labels: { namespace: NAMESPACE, platform_namespace: NAMESPACE, component: 'worker-reports', queue: 'reports' }, value: 3 }],
    },
    {
      alert: 'QueueWorkersAbsent',
      name: 'workers of both queues stay quiet',
      inputSeries: [...expected, ...queues(['uploads', 'reports'])],
      evalTime: '30m',
      fires: [],
    },
    {
      alert: 'ApiRequestsHanging',
      name: '12 requests in flight while none completes fires',
      inputSeries: traffic(12, 0),
      evalTime: '30m',
      fires: [{ labels: podLabels, value: 12 }],
    },
    {
      alert: 'ApiRequestsHanging',
      name: '12 in flight at 600 completions a minute stays quiet (busy, not hung)',
      inputSeries: traffic(12, 600),
      evalTime: '30m',
      fires: [],
    },
    { alert: 'ApiRequestsHanging', name: 'only the scrape in flight stays quiet', inputSeries: traffic(0, 0), evalTime: '30m', fires: [] },
    {
      alert: 'ApiNotReady',
      name: 'every readiness probe failing fires',
      inputSeries: probes(12, 0),
      evalTime: '30m',
      fires: [{ labels: podLabels, value: 0.2 }],
    },
    { alert: 'ApiNotReady', name: 'a probe failing now and then stays quiet', inputSeries: probes(1, 11), evalTime: '30m', fires: [] },
  ];
}
