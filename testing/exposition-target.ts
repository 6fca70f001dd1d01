/**
 * A scrape target for tests: serves `/metrics` in the Prometheus text exposition format from a
 * function called on every scrape, so counters can grow with time as a real exporter's do. Used
 * to stand up series exactly as third-party exporters (cAdvisor, CloudNativePG, redis_exporter)
 * publish them, names and labels included, for a real Prometheus to scrape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExpositionTarget {
  /** host:port for a scrape config. */
  address: string;
  close(): Promise<void>;
}

export type Labels = Record<string, string>;

/**
 * One exposition line: `name{a="1",b="2"} value [timestamp]`, label values escaped as the format
 * requires; `timestampMs` for exporters that stamp their samples (cAdvisor does).
 */
export function line(name: string, labels: Labels, value: number, timestampMs?: number): string {
  const escaped = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return `${name}${escaped.length ? `{${escaped.join(',')}}` : ''} ${value}${timestampMs !== undefined ? ` ${Math.round(timestampMs)}` : ''}`;
}

/** A `# HELP`/`# TYPE` header and the lines of one metric family. */
export function family(name: string, type: 'counter' | 'gauge', help: string, lines: string[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join('\n');
}

export async function startExpositionTarget(body: () => string | Promise<string>): Promise<ExpositionTarget> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    Promise.resolve()
      .then(body)
      .then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(`${text}\n`),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
