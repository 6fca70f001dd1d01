import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC } from './metric-names.js';
import { labelNamesOf, type LabelOf } from './metric-labels.js';
import { registerProcessLimits } from './process-metrics.js';
import { LATENCY_BUCKETS_SECONDS } from './sla.js';

/**
 * One prom-client registry per process component. Metrics go through prom-client only
 * (OpenTelemetry is used for traces), so no series is exported twice.
 */
export function createRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  registerProcessLimits(registry);
  return registry;
}

/** The HTTP server latency histogram, labelled as OpenTelemetry's semantic conventions name it. */
export function createHttpDurationHistogram(registry: Registry): Histogram<HttpLabel> {
  return new Histogram({
    name: METRIC.httpServerDuration,
    help: 'Duration of HTTP server requests, by route and SLA class.',
    labelNames: labelNamesOf('httpServerDuration'),
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers: [registry],
  });
}

export type HttpLabel = LabelOf<'httpServerDuration'>;
