import type { AppDeps } from '../context.js';
import { serviceUnavailable } from '../errors.js';
import { defineRoute, type AnyRoute } from '../route.js';

const CHECK_TIMEOUT_MS = 1_000;

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'down'> {
  try {
    await within(fn(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch {
    return 'down';
  }
}

/** Liveness, readiness and Prometheus metrics: public, outside every SLA class. */
export function opsRoutes(deps: AppDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness: the process is up',
      tag: 'ops',
      access: 'public',
      sla: 'none',
      async handler() {
        return { data: { status: 'ok' } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/ready',
      summary: 'Readiness: Postgres and Redis reachable and not draining',
      tag: 'ops',
      access: 'public',
      sla: 'none',
      responses: { 200: 'Ready', 503: 'Draining or a dependency is down' },
      async handler(ctx) {
        const [database, redis] = await Promise.all([check(() => deps.db.ping()), check(() => deps.redis.ping())]);
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
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'ops',
      access: 'public',
      sla: 'none',
      async handler(ctx) {
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
