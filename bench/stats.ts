/** What every benchmark returns: one row per measurement, beside the ceiling it is judged against. */
export interface BenchRow {
  name: string;
  /** Milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  rps?: number;
  mbps?: number;
  ceilingName: string;
  ceiling: number;
}

/** Nearest-rank percentile of a sample (milliseconds in, milliseconds out). */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) return NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function summarise(sample: number[]): Pick<BenchRow, 'p50' | 'p95' | 'p99'> {
  return { p50: round(percentile(sample, 50)), p95: round(percentile(sample, 95)), p99: round(percentile(sample, 99)) };
}
