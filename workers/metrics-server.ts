/**
 * A small HTTP server for Prometheus to scrape (`/metrics`), for liveness probes (`/health`: the
 * process serves) and for readiness probes (`/ready`: it can take jobs and is not draining).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';
import { METRICS_CHALLENGE, metricsAccessAllowed } from '../core/metrics-access.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  /** Loopback unless Prometheus must reach it from elsewhere (WORKER_METRICS_HOST). */
  host: string;
  /** Bearer token /metrics requires (METRICS_TOKEN); probes stay open for the kubelet. */
  token?: string | undefined;
  ready?: () => boolean;
}

export async function startMetricsServer(registry: Registry, logger: Logger, options: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host, token } = options;
  const ready = options.ready ?? (() => true);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      if (!metricsAccessAllowed(req.headers.authorization, token)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': METRICS_CHALLENGE });
        res.end('metrics need the bearer token Prometheus is configured with\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          logger.warn({ err: err.message }, 'metrics collection failed');
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (req.method === 'GET' && path === '/ready') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(ok ? '{"status":"ready"}' : '{"status":"not ready"}');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
