/**
 * Serves the app over HTTP and shuts down without dropping requests: readiness turns 503 first
 * (so the Service stops routing here), in-flight requests finish, idle keep-alive connections
 * close, and only then are the pools closed. A grace limit bounds the wait.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuiltApp } from './app.js';
import type { ApiResources } from './deps.js';

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  /** Time between readiness turning 503 and refusing new connections (endpoint propagation). */
  drainDelayMs?: number;
  graceMs: number;
}

/** How often a draining server closes the connections that have become idle. */
const IDLE_SWEEP_MS = 50;

export async function serve({ app }: BuiltApp, deps: ApiResources, options: ServeOptions): Promise<RunningServer> {
  const { HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } = deps.config;
  const server = createServer(
    {
      // A client trickling its headers holds a connection (and a file descriptor) until these
      // expire; Node only looks for expired ones every `connectionsCheckingInterval` (30 s by default).
      headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: Math.max(HTTP_REQUEST_TIMEOUT_MS, HTTP_HEADERS_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(1_000, HTTP_HEADERS_TIMEOUT_MS),
    },
    app.callback(),
  );
  // Longer than the load balancers' idle timeout, so they never reuse a connection we just closed.
  server.keepAliveTimeout = 65_000;
  deps.realtime.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  let stopping: Promise<void> | undefined;

  async function stop(): Promise<void> {
    deps.draining.value = true;
    if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
    // Long-lived sockets are not requests server.close() would wait for: they are told to go first.
    await deps.realtime.drain();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A keep-alive connection turns idle when its last request is answered; close it then, or the
    // drain lasts until the grace limit whenever a client keeps its connections open.
    const closeIdle = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const grace = setTimeout(() => server.closeAllConnections(), options.graceMs);
    await closed;
    clearInterval(closeIdle);
    clearTimeout(grace);
    await deps.close();
  }

  return {
    server,
    url,
    stop: () => (stopping ??= stop()),
  };
}
