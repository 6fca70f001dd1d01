/**
 * Input series for the promtool unit tests: label sets of real captured series (captured.ts), values
 * shaped for each edge case in promtool's expanding notation (`0+60x30` is 0, 60, 120 … 1800), and
 * the shape of one test scenario.
 */
import { METRIC } from '../../core/metric-names.js';
import { LATENCY_BUCKETS_SECONDS } from '../../core/sla.js';
import { realLabels } from './captured.js';

export interface InputSeries {
  series: string;
  values: string;
}

/** One promtool test group: series, one evaluation time, and what the alert must (not) do then. */
export interface AlertScenario {
  alert: string;
  /** What the scenario shows, e.g. "p95 of 9.75s pages". */
  name: string;
  /** Scrape interval of the input series; 1m unless said. */
  interval?: string;
  inputSeries: InputSeries[];
  evalTime: string;
  /** Alerts expected to fire: their expression labels and the value the description shows. Empty: must stay quiet. */
  fires: { labels: Record<string, string>; value: number }[];
}

export const NAMESPACE = 'campus';

/** `metric{…}` with the labels of a real captured series of it (captured.ts), `labels` applied. */
export function series(metric: string, labels: Record<string, string>): string {
  const parts = Object.entries(realLabels(metric, labels)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${metric}{${parts.join(',')}}`;
}

/** A counter growing by `perStep` each sample through consecutive phases. */
export function counter(...phases: { perStep: number; steps: number }[]): string {
  let value = 0;
  return phases
    .map(({ perStep, steps }, i) => {
      const start = i === 0 ? 0 : value + perStep;
      value = start + perStep * (i === 0 ? steps : steps - 1);
      return `${start}+${perStep}x${i === 0 ? steps : steps - 1}`;
    })
    .join(' ');
}

/** A gauge holding `value` for `steps` samples. */
export function gauge(value: number, steps: number): string {
  return `${value}+0x${steps}`;
}

/** The bucket boundaries right below and right above `seconds`, itself a boundary. */
export function bucketsAround(seconds: number): { below: number; above: number } {
  if (!LATENCY_BUCKETS_SECONDS.includes(seconds)) throw new Error(`${seconds}s is not a histogram bucket boundary`);
  const below = [...LATENCY_BUCKETS_SECONDS].reverse().find((b) => b < seconds);
  const above = LATENCY_BUCKETS_SECONDS.find((b) => b > seconds);
  if (below === undefined || above === undefined) throw new Error(`no bucket around ${seconds}`);
  return { below, above };
}

/** The p95 `histogram_quantile` reports when every request falls in the bucket (lower, upper]. */
export function p95Within(lower: number, upper: number): number {
  return lower + (upper - lower) * 0.95;
}

export interface HttpPhase {
  /** Requests per sample. */
  perStep: number;
  steps: number;
  /** Upper bound of the bucket every request of this phase falls in. */
  bucket: number;
}

/**
 * The `_count` and every `_bucket` series of an HTTP histogram whose requests all fall in one
 * bucket per phase, as prom-client writes them (`le="5"`, `le="+Inf"`).
 */
export function httpHistogram(labels: Record<string, string>, phases: HttpPhase[]): InputSeries[] {
  const name = METRIC.httpServerDuration;
  const out: InputSeries[] = [{ series: series(`${name}_count`, labels), values: counter(...phases) }];
  for (const le of [...LATENCY_BUCKETS_SECONDS, Infinity]) {
    const values = counter(...phases.map((p) => ({ perStep: le >= p.bucket ? p.perStep : 0, steps: p.steps })));
    out.push({ series: series(`${name}_bucket`, { ...labels, le: le === Infinity ? '+Inf' : String(le) }), values });
  }
  return out;
}

/** `_count` series of successful and failed requests, `errorShare` of them 5xx. */
export function httpRequestsWithErrors(slaClass: string, perStep: number, errorShare: number, steps: number): InputSeries[] {
  const name = `${METRIC.httpServerDuration}_count`;
  const base = { namespace: NAMESPACE, http_request_method: 'GET', http_route: '/students', sla_class: slaClass };
  return [
    {
      series: series(name, { ...base, http_response_status_code: '200' }),
      values: counter({ perStep: perStep * (1 - errorShare), steps }),
    },
    { series: series(name, { ...base, http_response_status_code: '503' }), values: counter({ perStep: perStep * errorShare, steps }) },
    // Health checks fail too, but never count against an SLA.
    {
      series: series(name, {
        namespace: NAMESPACE,
        http_request_method: 'GET',
        http_route: '/ready',
        sla_class: 'none',
        http_response_status_code: '503',
      }),
      values: counter({ perStep, steps }),
    },
  ];
}
