/**
 * The probe and metrics server of the processes whose probes are not on an API port: the workers
 * (which serve no HTTP otherwise) and the operator (which adds its cost reports under `/cost`).
 * Liveness answers 200 while the process serves; readiness 200 or 503 from the process's own
 * `ready()`; `/metrics` the Prometheus text (503 when collection fails). The probes are open (the
 * kubelet calls them without credentials); every other path, unknown ones too, passes `access`
 * first when one is given, so a refusal tells nothing about what exists. The API serves the same
 * three answers as declared routes on its own port (api/routes/ops.ts), documented in its OpenAPI
 * document, with the same metrics access (`bearerTokenAccess`'s rule, core/metrics-access.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { METRICS_CHALLENGE, metricsAccessAllowed } from './metrics-access.js';

/** Where a process answers its liveness and readiness probes (its manifests name the same paths). */
export interface ProbePaths {
  live: string;
  ready: string;
}

/** The platform's processes (the API on its own port, the workers here): `/health`, `/ready`. */
export const PLATFORM_PROBES: ProbePaths = { live: '/health', ready: '/ready' };
/** The operator's, after the Kubernetes convention of its peers: `/healthz`, `/readyz`. */
export const OPERATOR_PROBES: ProbePaths = { live: '/healthz', ready: '/readyz' };

export interface ProbeServerOptions {
  registry: Registry;
  paths: ProbePaths;
  ready: () => boolean;
  port: number;
  /** The address to listen on; every address when absent. */
  host?: string;
  /** Told when metrics collection fails. */
  logger?: Logger;
  /** Guards every path but the probes: a bearer token (`bearerTokenAccess`) or the cluster's RBAC. */
  access?: Middleware;
  /** Further routes behind the same access (the operator's `/cost`). */
  routers?: Router[];
}

export interface ProbeServer {
  port: number;
  /** The base URL to reach it on this machine. */
  url: string;
  close(): Promise<void>;
}

/** Access for a configured `METRICS_TOKEN` (none configured: open), refused with 401 and the RFC 6750 challenge. */
export function bearerTokenAccess(token: string | undefined): Middleware {
  return async (ctx, next) => {
    if (metricsAccessAllowed(ctx.get('authorization') || undefined, token)) return next();
    ctx.status = 401;
    ctx.set('WWW-Authenticate', METRICS_CHALLENGE);
    ctx.type = 'text/plain';
    ctx.body = 'metrics need the bearer token Prometheus is configured with\n';
  };
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const { registry, paths, ready, access, logger } = options;
  const app = new Koa();
  const probes = new Set([paths.live, paths.ready]);
  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === paths.live) {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === paths.ready) {
      const ok = ready();
      ctx.status = ok ? 200 : 503;
      ctx.body = { status: ok ? 'ready' : 'not ready' };
      return;
    }
    if (access && !probes.has(ctx.path)) return access(ctx, next);
    return next();
  });
  app.use(async (ctx, next) => {
    if (ctx.path !== '/metrics') return next();
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      ctx.set('Allow', 'GET');
      return;
    }
    try {
      const text = await registry.metrics();
      ctx.type = registry.contentType;
      ctx.body = text;
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'metrics collection failed');
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'metrics unavailable\n';
    }
  });
  for (const router of options.routers ?? []) app.use(router.routes()).use(router.allowedMethods());

  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = !options.host || options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
