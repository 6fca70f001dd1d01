/**
 * The operator's HTTP server: `/metrics`, `/healthz` (the process runs), `/readyz` (informers
 * synced, or standing by as a follower), and any extra routers (the cost reports under `/cost`).
 * The probes are open (the kubelet calls them without credentials); everything else passes
 * `access` first (operator/delegated-access.ts) when one is given.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  registry: Registry;
  ready: () => boolean;
  port: number;
  host?: string;
  routers?: Router[];
  /** Guards every path but the probes (unknown paths too, so a refusal tells nothing about what exists). */
  access?: Middleware;
}

const PROBES = new Set(['/healthz', '/readyz']);

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const app = new Koa();
  const access = options.access;
  if (access) app.use((ctx, next) => (PROBES.has(ctx.path) ? next() : access(ctx, next)));
  const probes = new Router();
  probes.get('/metrics', async (ctx) => {
    ctx.type = options.registry.contentType;
    ctx.body = await options.registry.metrics();
  });
  probes.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });
  probes.get('/readyz', (ctx) => {
    const ok = options.ready();
    ctx.status = ok ? 200 : 503;
    ctx.body = ok ? 'ok' : 'not ready';
  });
  for (const router of [probes, ...(options.routers ?? [])]) app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve) => {
    const listening = options.host
      ? app.listen(options.port, options.host, () => resolve(listening))
      : app.listen(options.port, () => resolve(listening));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
