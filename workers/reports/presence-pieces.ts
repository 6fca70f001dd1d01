/**
 * Which rows of the presence rollup (`access_log_presence`) make up each period of a report: the
 * largest whole periods inside the part of the period the range covers. A year the range covers
 * whole is its one `year` piece; a year it cuts is its whole months plus the days left over; a
 * week or month it cuts is its days. Each piece names its owner, the report period it counts
 * for (its first day, YYYY-MM-DD, as the report keys periods), so one query counts distinct
 * students per owner across its pieces.
 */
import type { DateRange } from '../../core/report-request.js';

export type PeriodKind = 'day' | 'week' | 'month' | 'year';

export interface Piece {
  period: PeriodKind;
  /** First day of the piece, YYYY-MM-DD (UTC). */
  start: string;
  /** First day of the report period the piece counts for. */
  owner: string;
}

const DAY_MS = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const at = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** First day of the period of `kind` containing `t` (ISO weeks start on Monday). */
function periodStart(kind: PeriodKind, t: number): number {
  const d = new Date(t);
  if (kind === 'day') return t;
  if (kind === 'week') return t - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  if (kind === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return Date.UTC(d.getUTCFullYear(), 0, 1);
}

/** The first day after the period of `kind` starting at `start`. */
function periodEnd(kind: PeriodKind, start: number): number {
  const d = new Date(start);
  if (kind === 'day') return start + DAY_MS;
  if (kind === 'week') return start + 7 * DAY_MS;
  if (kind === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
}

/** Pieces covering [from, end) (end exclusive), whole `kind` periods where they fit, else finer. */
function cover(kind: PeriodKind, from: number, end: number, owner: string, out: Piece[]): void {
  // A month the range cuts: the ISO weeks wholly inside the part covered, then days. Weeks do not
  // nest in months, but any pieces whose days make up the part count the same distinct students.
  const finer: Record<PeriodKind, PeriodKind | null> = { year: 'month', month: 'week', week: 'day', day: null };
  for (let start = periodStart(kind, from); start < end; start = periodEnd(kind, start)) {
    const stop = periodEnd(kind, start);
    const lo = Math.max(start, from);
    const hi = Math.min(stop, end);
    if (lo === start && hi === stop) out.push({ period: kind, start: iso(start), owner });
    else cover(finer[kind]!, lo, hi, owner, out);
  }
}

/** The pieces of every `kind` period the (inclusive) range touches, each owned by its period. */
export function presencePieces(range: DateRange, kind: PeriodKind): Piece[] {
  const from = at(range.from);
  const end = at(range.to) + DAY_MS;
  const out: Piece[] = [];
  for (let start = periodStart(kind, from); start < end; start = periodEnd(kind, start)) {
    cover(kind, Math.max(start, from), Math.min(periodEnd(kind, start), end), iso(start), out);
  }
  return out;
}
