/**
 * The HTTP server latency histogram (`http_server_request_duration_seconds`) as the API observes it
 * on every request. prom-client's `Histogram.observe(labels, value)` checks the label object's keys
 * against the declared names and builds a string key from its values on every call (about a
 * microsecond on this machine, a few percent of a `GET /health`), although a process only ever
 * sees a few hundred label sets. Here a label set is looked up once, through maps keyed by the
 * route, method, status and SLA class (strings and numbers V8 has already hashed), and an
 * observation is a bucket search and three additions.
 *
 * It is registered in the prom-client registry and hands the registry the same values prom-client's
 * own Histogram would (`getForPromString`/`get`), so the registry writes the exposition exactly as
 * before: `core/route-duration-histogram.test.ts` compares the two texts for the same observations.
 * Label sets are never removed, as prom-client never removes them unless asked.
 */
import type { Metric, Registry } from 'prom-client';
import { METRIC } from './metric-names.js';
import type { HttpLabel } from './metrics.js';
import { LATENCY_BUCKETS_SECONDS } from './sla.js';

type Labels = Record<HttpLabel, string>;

/** One label set's counts. */
export interface DurationSeries {
  observe(seconds: number): void;
}

class Series implements DurationSeries {
  /** Observations per bucket (not cumulative), the last one past every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/** One line of the exposition as prom-client's registry takes it: its own labels, and its series' apart. */
interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
  sharedLabels?: Labels;
  exemplar?: null | undefined;
}

/** What a prom-client metric hands its registry. */
interface Collected<V> {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: V[];
}

export class RouteDurationHistogram {
  readonly name = METRIC.httpServerDuration;
  readonly help = 'Duration of HTTP server requests, by route and SLA class.';
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[] = [...LATENCY_BUCKETS_SECONDS];
  /** route → method → status → SLA class → series. */
  private byRoute = new Map<string, Map<string, Map<number, Map<string, Series>>>>();
  /** Every series, in the order they were first observed (prom-client's order too). */
  private series: Series[] = [];

  constructor(registry: Registry) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set, created on its first request. */
  seriesOf(method: string, route: string, status: number, slaClass: string): DurationSeries {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let bySla = byStatus.get(status);
    if (!bySla) byStatus.set(status, (bySla = new Map()));
    let series = bySla.get(slaClass);
    if (!series) {
      const labels: Labels = {
        http_request_method: method,
        http_route: route,
        http_response_status_code: String(status),
        sla_class: slaClass,
      };
      series = new Series(labels, this.bounds);
      bySla.set(slaClass, series);
      this.series.push(series);
    }
    return series;
  }

  /** What prom-client's Histogram gives the registry to write: cumulative buckets, +Inf, sum, count per series. */
  getForPromString(): Collected<Value> {
    const values: Value[] = [];
    for (const series of this.series) {
      const shared = { sharedLabels: series.labels };
      let cumulative = 0;
      this.bounds.forEach((le, index) => {
        cumulative += series.counts[index]!;
        values.push({ labels: { le }, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null, ...shared });
      });
      values.push(
        { labels: { le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket`, exemplar: null, ...shared },
        { labels: {}, value: series.sum, metricName: `${this.name}_sum`, exemplar: undefined, ...shared },
        { labels: {}, value: series.count, metricName: `${this.name}_count`, exemplar: undefined, ...shared },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same with each value's labels and its series' labels in one object (`registry.getMetricsAsJSON`). */
  get(): Promise<Collected<Omit<Value, 'sharedLabels'>>> {
    const metric = this.getForPromString();
    const values = metric.values.map(({ sharedLabels, labels, ...value }) => ({ ...value, labels: { ...labels, ...sharedLabels } }));
    return Promise.resolve({ ...metric, values });
  }

  reset(): void {
    this.byRoute = new Map();
    this.series = [];
  }
}
