/**
 * An open-loop load: requests arrive at a fixed rate, evenly spaced, whether or not earlier ones
 * were answered — as independent users arrive. autocannon is closed-loop (each connection sends
 * its next request when the last is answered) and its rate limit sends each second's quota at the
 * start of the second; with 32 connections saturating 2 cores, its latency is the queue
 * (Little's law: 32 in flight / throughput), whatever one request costs. Below saturation an open
 * loop measures the latency a request sees. Each latency counts from the request's scheduled
 * arrival, not from when it was sent, so a late send (a busy load generator) is not hidden
 * (coordinated omission).
 */
import { Agent, request } from 'node:http';
import { measuredFrom, type Measured } from './harness.js';

export interface OpenLoopOptions {
  url: string;
  /** Arrivals per second. */
  rate: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** The path of the i-th request. */
  path(i: number): string;
  /** Connections at most (requests beyond them wait for one, and that wait is in their latency). */
  maxSockets?: number;
  /** Told each answer's body size in bytes. */
  answered?(bytes: number): void;
}

function send(agent: Agent, base: URL, path: string, options: OpenLoopOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, headers: options.headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.once('end', () => {
        options.answered?.(bytes);
        resolve(res.statusCode ?? 0);
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

export async function measureOpenLoop(options: OpenLoopOptions): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
  const base = new URL(options.url);
  const interval = 1000 / options.rate;
  const arrivals = Math.round(options.rate * options.durationSeconds);
  const times: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < arrivals; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(agent, base, options.path(i), options).then(
        (status) => {
          times.push(performance.now() - scheduled);
          if (status < 200 || status >= 300) errors++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  return measuredFrom(times, (performance.now() - started) / 1000, errors, arrivals);
}
