/**
 * What a report request means, shared by the API (which accepts and deduplicates requests) and
 * the reports worker (which builds them): the report types, their filters, the default range of
 * each type, and the normalised form whose hash identifies identical requests.
 */
import { createHash } from 'node:crypto';

export const REPORT_TYPES = ['daily-summary', 'weekly-trends', 'monthly', 'annual'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

export interface ReportFilters {
  /** Only these gates (sorted, unique); absent means every gate. */
  gates?: string[];
  direction?: 'entry' | 'exit';
}

/** Inclusive calendar days, UTC, as YYYY-MM-DD. */
export interface DateRange {
  from: string;
  to: string;
}

export interface NormalisedReportRequest {
  type: ReportType;
  range: DateRange;
  filters: ReportFilters;
}

/** Longest range each type accepts, in days (keeps one request from scanning years of logs by accident). */
export const MAX_RANGE_DAYS: Record<ReportType, number> = {
  'daily-summary': 93,
  'weekly-trends': 371,
  monthly: 3 * 366,
  annual: 10 * 366,
};

const DAY_MS = 86_400_000;
const iso = (date: Date) => date.toISOString().slice(0, 10);
const utcDay = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d));

/** The range a type covers when the caller gives none: the last complete period before `now`. */
export function defaultRange(type: ReportType, now: Date): DateRange {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = utcDay(y, m, now.getUTCDate());
  switch (type) {
    case 'daily-summary': {
      const yesterday = new Date(today.getTime() - DAY_MS);
      return { from: iso(yesterday), to: iso(yesterday) };
    }
    case 'weekly-trends': {
      // The eight complete ISO weeks (Monday to Sunday) before this one.
      const monday = new Date(today.getTime() - ((today.getUTCDay() + 6) % 7) * DAY_MS);
      return { from: iso(new Date(monday.getTime() - 56 * DAY_MS)), to: iso(new Date(monday.getTime() - DAY_MS)) };
    }
    case 'monthly':
      return { from: iso(utcDay(y, m - 1, 1)), to: iso(utcDay(y, m, 0)) };
    case 'annual':
      return { from: iso(utcDay(y - 1, 0, 1)), to: iso(utcDay(y - 1, 11, 31)) };
  }
}

export function rangeDays(range: DateRange): number {
  return Math.round((Date.parse(range.to) - Date.parse(range.from)) / DAY_MS) + 1;
}

export function normaliseReportRequest(
  input: { type: ReportType; range?: DateRange | undefined; filters?: ReportFilters | undefined },
  now: Date,
): NormalisedReportRequest {
  const filters: ReportFilters = {};
  if (input.filters?.gates?.length) filters.gates = [...new Set(input.filters.gates)].sort();
  if (input.filters?.direction) filters.direction = input.filters.direction;
  return { type: input.type, range: input.range ?? defaultRange(input.type, now), filters };
}

/**
 * Identical requests within one window hash alike: the normalised request (keys in a fixed
 * order) plus the index of the window `now` falls in.
 */
export function reportRequestHash(request: NormalisedReportRequest, now: Date, windowSeconds: number): string {
  const bucket = Math.floor(now.getTime() / (windowSeconds * 1000));
  const canonical = JSON.stringify([
    request.type,
    request.range.from,
    request.range.to,
    request.filters.gates ?? [],
    request.filters.direction ?? null,
    bucket,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
