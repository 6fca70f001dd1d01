import type { Next } from 'koa';
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import { createHttpDurationHistogram } from '../../core/metrics.js';
import { UNCLASSIFIED } from '../../core/sla.js';
import type { AppContext } from '../context.js';

/**
 * Records each request in the SLA histogram by route template (never the raw path, which would
 * explode cardinality) and tracks in-flight requests, which graceful shutdown waits on.
 */
export function httpMetrics(registry: Registry) {
  const duration = createHttpDurationHistogram(registry);
  const active = new Gauge({ name: METRIC.httpServerActiveRequests, help: 'In-flight HTTP requests.', registers: [registry] });
  return async (ctx: AppContext, next: Next) => {
    const end = duration.startTimer();
    active.inc();
    try {
      await next();
    } finally {
      active.dec();
      end({
        http_request_method: ctx.method,
        http_route: ctx.state.route ?? 'unmatched',
        http_response_status_code: String(ctx.status),
        sla_class: ctx.state.slaClass ?? UNCLASSIFIED,
      });
    }
  };
}
