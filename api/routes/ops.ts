import type { AppDeps } from '../context.js';
import { METRICS_CHALLENGE, metricsAccessAllowed } from '../../core/metrics-access.js';
import { AppError, serviceUnavailable } from '../../domain/errors.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { z } from 'zod';

const route = routeGroup({ tag: 'ops', sla: 'none' });

const ReadyView = z.strictObject({
  status: z.literal('ready'),
  checks: z.strictObject({
    database: z.literal('ok'),
    redis: z.literal('ok'),
    replicas: z.array(z.strictObject({ name: z.string(), healthy: z.boolean(), lagSeconds: z.number() })),
    draining: z.literal(false),
  }),
});

/** Liveness, readiness and Prometheus metrics: public, outside every SLA class. */
export function opsRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/health',
      summary: 'Liveness: the process is up',
      access: 'public',
      response: { data: z.strictObject({ status: z.literal('ok') }) },
      async handler() {
        return { data: { status: 'ok' } };
      },
    }),
    route({
      method: 'get',
      path: '/ready',
      summary: 'Readiness: the Postgres and Redis circuit breakers closed, and not draining',
      access: 'public',
      response: { data: ReadyView },
      responses: { 200: 'Ready', 503: 'Draining or a dependency is down' },
      async handler(ctx) {
        // The breakers are fed by every call and by probes on their own connections, so readiness
        // answers at once from their state, even while a dependency hangs.
        const database = deps.db.breaker.isAvailable ? 'ok' : 'down';
        // A client that has not (re)connected yet has nothing for the breaker to count: not ready either.
        const redis = deps.redisBreaker.isAvailable && deps.redis.status === 'ready' ? 'ok' : 'down';
        const checks = { database, redis, replicas: deps.db.replicaStates(), draining: deps.draining.value };
        if (database === 'down' || redis === 'down' || deps.draining.value) {
          ctx.status = 503;
          ctx.set('Retry-After', '5');
          ctx.body = { error: { code: 'NOT_READY', message: 'The service is not ready.', details: checks } };
          return;
        }
        return { data: { status: 'ready', checks } };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN when one is configured)',
      access: 'public',
      response: { media: ['text/plain'] },
      responses: { 200: 'Prometheus text exposition', 401: 'METRICS_TOKEN is configured and was not presented' },
      async handler(ctx) {
        if (!metricsAccessAllowed(ctx.get('authorization') || undefined, deps.config.METRICS_TOKEN)) {
          throw new AppError(401, 'METRICS_TOKEN_REQUIRED', 'Metrics need the bearer token Prometheus is configured with.', undefined, {
            'WWW-Authenticate': METRICS_CHALLENGE,
          });
        }
        try {
          ctx.type = deps.registry.contentType;
          ctx.body = await deps.registry.metrics();
        } catch {
          throw serviceUnavailable('Metrics could not be collected.');
        }
      },
    }),
  ];
}
