/**
 * Replica usage and its exact cost, hour by hour (UTC), for one cost line over a time range.
 * Every piece of a segment is split at hour boundaries and at price changes, priced exactly, and
 * an hour's cost is rounded to micro-units once: report totals are sums of those hourly figures.
 */
import { Fraction } from './exact.js';
import { hourlyRate, type PriceHistory, type ReplicaShape } from './prices.js';
import { HOUR_MS, hourStartOf, type Segment } from './timeline.js';

export interface TimeRange {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

export interface HourUsage {
  /** Start of the hour's part inside the range. */
  from: number;
  to: number;
  replicaMs: Fraction;
  peak: number;
  /** Exact cost; `costMicros` is it rounded. */
  cost: Fraction;
  costMicros: bigint;
}

const MICROS = 1_000_000n;
const MS_PER_HOUR = BigInt(HOUR_MS);

/** Usage of one line in every hour of `range`, hours without replicas included. */
export function hourlyUsage(
  segments: readonly Segment[],
  range: TimeRange,
  shape: ReplicaShape | undefined,
  prices: PriceHistory,
): HourUsage[] {
  const hours = emptyHours(range);
  for (const piece of pieces(segments, range, prices)) {
    const hour = hours[Math.floor((piece.from - hourStartOf(range.from)) / HOUR_MS)] as HourUsage;
    hour.replicaMs = hour.replicaMs.add(piece.replicaMs);
    hour.peak = Math.max(hour.peak, piece.peak);
    if (shape) hour.cost = hour.cost.add(pieceCost(piece, shape, prices));
  }
  for (const hour of hours) hour.costMicros = toMicros(hour.cost);
  return hours;
}

/** Exact cost of the segments inside `range`, without hourly rounding (for rates and single decisions). */
export function exactCost(segments: readonly Segment[], range: TimeRange, shape: ReplicaShape, prices: PriceHistory): Fraction {
  let total = Fraction.ZERO;
  for (const piece of pieces(segments, range, prices)) total = total.add(pieceCost(piece, shape, prices));
  return total;
}

export function toMicros(amount: Fraction): bigint {
  return amount.mul(MICROS).round();
}

interface Piece {
  from: number;
  to: number;
  replicaMs: Fraction;
  peak: number;
}

function pieceCost(piece: Piece, shape: ReplicaShape, prices: PriceHistory): Fraction {
  return piece.replicaMs.mul(hourlyRate(shape, prices.at(piece.from).prices)).div(MS_PER_HOUR);
}

function* pieces(segments: readonly Segment[], range: TimeRange, prices: PriceHistory): Generator<Piece> {
  for (const segment of segments) {
    let from = Math.max(segment.from, range.from);
    const to = Math.min(segment.to, range.to);
    while (from < to) {
      const end = Math.min(to, hourStartOf(from) + HOUR_MS, prices.nextChangeAfter(from) ?? Number.POSITIVE_INFINITY);
      yield { from, to: end, ...usageBetween(segment, from, end) };
      from = end;
    }
  }
}

function usageBetween(segment: Segment, from: number, to: number): { replicaMs: Fraction; peak: number } {
  if (segment.kind === 'constant') return { replicaMs: Fraction.of(segment.replicas * (to - from)), peak: segment.replicas };
  // Part of a compacted hour: its replica-milliseconds are taken as evenly spread over the hour.
  const share = new Fraction(BigInt(to - from), BigInt(segment.to - segment.from));
  return { replicaMs: Fraction.of(segment.replicaMs).mul(share), peak: segment.peak };
}

function emptyHours(range: TimeRange): HourUsage[] {
  return hourBins(range).map((bin) => ({ ...bin, replicaMs: Fraction.ZERO, peak: 0, cost: Fraction.ZERO, costMicros: 0n }));
}

/** The parts of each UTC hour inside `range`: the bins every hourly figure of a report is kept in. */
export function hourBins(range: TimeRange): TimeRange[] {
  const bins: TimeRange[] = [];
  for (let start = hourStartOf(range.from); start < range.to; start += HOUR_MS)
    bins.push({ from: Math.max(start, range.from), to: Math.min(start + HOUR_MS, range.to) });
  return bins;
}
