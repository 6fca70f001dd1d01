/**
 * Shared pieces of `npm run bench`: an autocannon run reduced to the figures we report, and the
 * row format every benchmark returns — each figure beside a ceiling measured in the same run,
 * because these machines are shared and only ratios survive the noise.
 */
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

export interface BenchRow {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  ceilingName: string;
  ceilingRps: number;
  /** Extra figures (e.g. MB/s) a benchmark wants shown. */
  notes?: string;
}

export interface BenchContext {
  apiUrl: string;
  /** The API process (its CPU time is read from /proc by rows that report CPU per operation). */
  apiPid: number | undefined;
  ceilingUrl: string;
  databaseUrl: string;
  /** The API process's Redis and key prefix (the real-time bench publishes into its feeds). */
  redisUrl: string;
  redisKeyPrefix: string;
  tokens: Record<'admin' | 'staff' | 'security' | 'student', string>;
  durationSeconds: number;
  connections: number;
  log(message: string): void;
}

export interface Measured {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  total: number;
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string };

/** Exact percentile of a sorted list (nearest-rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** The figures of a run timed here: `times` (ms, any order; sorted in place) answered over `seconds`. */
export function measuredFrom(times: number[], seconds: number, errors: number, total: number): Measured {
  times.sort((a, b) => a - b);
  return {
    rps: times.length / seconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    errors,
    total,
  };
}

/**
 * Runs autocannon and returns throughput and latency percentiles (ms); non-2xx count as errors.
 * autocannon's summary has no p95, so every response time is recorded and ranked here.
 */
export async function measure(options: LoadOptions): Promise<Measured> {
  const times: number[] = [];
  // The returned tracker is both an EventEmitter and a promise of the result (its typings say only the latter).
  const instance = autocannon({ ...options }) as unknown as EventEmitter & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  const result = await instance;
  times.sort((a, b) => a - b);
  return {
    rps: result.requests.average,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    errors: result.errors + result.non2xx + result.timeouts,
    total: result.requests.total,
  };
}

export function row(name: string, m: Measured, ceilingName: string, ceiling: Measured, notes?: string): BenchRow {
  return {
    name,
    rps: m.rps,
    p50: m.p50,
    p95: m.p95,
    p99: m.p99,
    errors: m.errors,
    ceilingName,
    ceilingRps: ceiling.rps,
    ...(notes ? { notes } : {}),
  };
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['benchmark', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'ceiling', 'ceiling req/s', 'ratio'];
  // Slow rows (reports, uploads) run at a few per second or less: keep their digits.
  const rate = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
  const lines = rows.map((r) => [
    r.name,
    rate(r.rps),
    r.p50.toFixed(1),
    r.p95.toFixed(1),
    r.p99.toFixed(1),
    String(r.errors),
    r.ceilingName,
    rate(r.ceilingRps),
    r.ceilingRps ? `${((r.rps / r.ceilingRps) * 100).toFixed(0)} %` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

/** A uniformly random element of a non-empty list (load generators pick ids and terms with it). */
export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;

/** `POST /passes` for a random one of `studentIds`, valid for 30 days from the moment it is sent. */
export function passGenerationRequest(studentIds: readonly string[]): autocannon.Request {
  return {
    method: 'POST',
    path: '/passes',
    setupRequest: (req) => ({
      ...req,
      body: JSON.stringify({ studentId: pick(studentIds), validUntil: new Date(Date.now() + 30 * 24 * 3_600_000).toISOString() }),
    }),
  };
}
