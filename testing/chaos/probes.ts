/**
 * What the chaos suite watches besides the gates: the latency of routes that need only Postgres
 * (while Redis hangs they must not hang), and how long readiness takes to come back after a
 * dependency does.
 */
import { eventually } from '../eventually.js';

export class RouteLatency {
  private readonly samples: number[] = [];
  private readonly slowest: { ms: number; path: string; atMs: number }[] = [];
  private startedAt = 0;
  private readonly failures: Record<string, number> = {};
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly paths: string[],
    private readonly perSecond: number,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        await Promise.all(this.paths.map((path) => this.measure(path)));
        await new Promise((r) => setTimeout(r, Math.max(0, (1000 * this.paths.length) / this.perSecond - (Date.now() - started))));
      }
    })();
  }

  /** Stops and returns the p99 in ms, the sample count, non-200 answers by status, and the three slowest requests. */
  async stop(): Promise<{ p99Ms: number; samples: number; failures: Record<string, number>; slowest: string[] }> {
    this.running = false;
    await this.loop;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const p99Ms = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]! : NaN;
    const slowest = this.slowest
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((s) => `${s.path} ${Math.round(s.ms)} ms at +${(s.atMs / 1000).toFixed(1)} s`);
    return { p99Ms, samples: sorted.length, failures: this.failures, slowest };
  }

  private async measure(path: string): Promise<void> {
    const started = performance.now();
    let status: string;
    let serverMs = NaN;
    try {
      const res = await fetch(`${this.url}${path}`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      status = String(res.status);
      serverMs = parseFloat(res.headers.get('x-response-time') ?? '');
    } catch {
      status = 'no-answer';
    }
    // The API's own time on the request (X-Response-Time): what it waited for, not how long this
    // busy machine took to schedule the client. A request that got no answer counts with its full wait.
    const ms = Number.isFinite(serverMs) ? serverMs : performance.now() - started;
    this.samples.push(ms);
    this.slowest.push({ ms, path, atMs: started - this.startedAt });
    if (status !== '200') this.failures[status] = (this.failures[status] ?? 0) + 1;
  }
}

/** Seconds from now until /ready answers 200 (polled every 100 ms). */
export async function secondsUntilReady(url: string, deadlineMs = 60_000): Promise<number> {
  const started = performance.now();
  await eventually(
    async () => {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status === 200;
    },
    'readiness to return',
    deadlineMs,
  );
  return (performance.now() - started) / 1000;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
