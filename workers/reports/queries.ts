/**
 * The queries behind each report type, run on a read replica. Each returns a table: columns in
 * display order and one plain object per row. Gate verifications come from the rollups, never
 * from `access_logs` itself, so a report's cost does not grow with the log:
 *
 * - counts (verifications, granted, denied, entries, exits, busiest gate, peak hour, busiest
 *   month) from `access_log_hourly`, one row per hour, gate, direction and outcome;
 * - unique students from `access_log_presence` (migration 20261204_301): one row per student
 *   present in a day, ISO week, month or year, with the gates they passed by direction. Each
 *   period of a report reads the rows of the largest whole periods inside it (a whole year: the
 *   year's rows; a year the range cuts: its whole months and the remaining days), and counts
 *   distinct students across them: exact, as `count(distinct student_id)` over the log was.
 *
 * Applications and passes come from their tables. Days are UTC calendar days; the range is
 * inclusive.
 */
import type { Knex } from 'knex';
import type { NormalisedReportRequest, ReportType } from '../../core/report-request.js';
import { presencePieces, type Piece } from './presence-pieces.js';

/** The outcome the verifier records for an admitted pass; anything else is a refusal reason. */
export const GRANTED_OUTCOME = 'valid';

export interface Column {
  key: string;
  label: string;
  /** Summable across rows (counts); the readable form prints a total for these. */
  additive?: boolean;
}

export type Cell = string | number | null;

export interface ReportTable {
  title: string;
  columns: Column[];
  rows: Record<string, Cell>[];
  notes: string[];
}

interface Window {
  where: string;
  bindings: unknown[];
}

/** The hourly rollup's predicate for the request: whole UTC days of the range, and the filters. */
function hourlyWindow(request: NormalisedReportRequest): Window {
  const fromTs = `${request.range.from}T00:00:00Z`;
  const toTs = new Date(Date.parse(`${request.range.to}T00:00:00Z`) + 86_400_000).toISOString();
  const clauses = ['bucket >= ?::timestamptz', 'bucket < ?::timestamptz'];
  const bindings: unknown[] = [fromTs, toTs];
  if (request.filters.gates?.length) {
    clauses.push('gate = any(?::text[])');
    bindings.push(request.filters.gates);
  }
  if (request.filters.direction) {
    clauses.push('direction = ?');
    bindings.push(request.filters.direction);
  }
  return { where: clauses.join(' and '), bindings };
}

/**
 * The gates a presence row counts under the request's direction (both when none), and the
 * condition for the row to count at all under its filters (none: every row has a gate).
 */
function presenceFilter(request: NormalisedReportRequest): { gates: string; where: string; bindings: unknown[] } {
  const direction = request.filters.direction;
  const gates = direction === 'entry' ? 'p.entry_gates' : direction === 'exit' ? 'p.exit_gates' : '(p.entry_gates || p.exit_gates)';
  const wanted = request.filters.gates;
  if (wanted?.length) return { gates, where: `${gates} && ?::text[]`, bindings: [wanted] };
  return { gates, where: direction ? `cardinality(${gates}) > 0` : 'true', bindings: [] };
}

/**
 * Distinct students per owner (a period of the report) over the presence rows of its pieces.
 * `select distinct` then `count(*)` lets Postgres hash the pairs; `count(distinct …)` per group
 * sorts them all.
 */
async function uniqueStudents(db: Knex, request: NormalisedReportRequest, pieces: Piece[]): Promise<Map<string, number>> {
  if (pieces.length === 0) return new Map();
  const filter = presenceFilter(request);
  // A period read from one piece has one row per student: a count. Only periods made of several
  // pieces (cut by the range) need the distinct students across them.
  const piecesPerOwner = new Map<string, number>();
  for (const piece of pieces) piecesPerOwner.set(piece.owner, (piecesPerOwner.get(piece.owner) ?? 0) + 1);
  const list = (xs: Piece[]) => [xs.map((x) => x.period), xs.map((x) => x.start), xs.map((x) => x.owner), ...filter.bindings];
  const from = `from unnest(?::text[], ?::date[], ?::text[]) as pieces (period, period_start, owner)
         join access_log_presence p on p.period = pieces.period and p.period_start = pieces.period_start
        where ${filter.where}`;
  const whole = pieces.filter((x) => piecesPerOwner.get(x.owner) === 1);
  const cut = pieces.filter((x) => piecesPerOwner.get(x.owner)! > 1);
  const [single, several] = await Promise.all([
    whole.length
      ? rows<{ owner: string; n: string }>(db, `select pieces.owner, count(*) as n ${from} group by pieces.owner`, list(whole))
      : [],
    cut.length
      ? rows<{ owner: string; n: string }>(
          db,
          `select owner, count(*) as n from (select distinct pieces.owner, p.student_id ${from}) present group by owner`,
          list(cut),
        )
      : [],
  ]);
  return new Map([...single, ...several].map((r) => [r.owner, Number(r.n)]));
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function rows<T>(db: Knex, sql: string, bindings: unknown[]): Promise<T[]> {
  return (await db.raw<{ rows: T[] }>(sql, bindings as Knex.RawBinding[])).rows;
}

const COUNTS = `
  sum(count) as verifications,
  coalesce(sum(count) filter (where outcome = '${GRANTED_OUTCOME}'), 0) as granted,
  coalesce(sum(count) filter (where outcome <> '${GRANTED_OUTCOME}'), 0) as denied`;

const VERIFICATION_COLUMNS: Column[] = [
  { key: 'verifications', label: 'Verifications', additive: true },
  { key: 'granted', label: 'Granted', additive: true },
  { key: 'denied', label: 'Denied', additive: true },
];

const filterNote = (request: NormalisedReportRequest): string[] => {
  const parts = [];
  if (request.filters.gates?.length) parts.push(`gates ${request.filters.gates.join(', ')}`);
  if (request.filters.direction) parts.push(`direction ${request.filters.direction}`);
  return parts.length ? [`Gate verifications limited to ${parts.join('; ')}; applications and passes are not filtered.`] : [];
};

async function dailySummary(db: Knex, request: NormalisedReportRequest): Promise<ReportTable> {
  const w = hourlyWindow(request);
  const direction = request.filters.direction;
  const gateFilter = request.filters.gates?.length ? 'and gate = any(?::text[])' : '';
  const presenceBindings = [request.range.from, request.range.to, ...(request.filters.gates?.length ? [request.filters.gates] : [])];
  const result = await rows<Record<string, unknown>>(
    db,
    `with counts as (
        select (bucket at time zone 'UTC')::date as day, gate, ${COUNTS},
               coalesce(sum(count) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'entry'), 0) as entries,
               coalesce(sum(count) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'exit'), 0) as exits
          from access_log_hourly where ${w.where}
         group by 1, 2
     ), uniques as (
        -- One row per student and day, and neither array repeats a gate: a student counts once
        -- for each gate of their entries, and for each gate of their exits not among those.
        select day, gate, count(*) as unique_students from (
          ${
            direction === 'exit'
              ? ''
              : `select p.period_start as day, gate from access_log_presence p cross join unnest(p.entry_gates) gate
                  where p.period = 'day' and p.period_start between ?::date and ?::date ${gateFilter}`
          }
          ${direction ? '' : 'union all'}
          ${
            direction === 'entry'
              ? ''
              : `select p.period_start as day, gate from access_log_presence p cross join unnest(p.exit_gates) gate
                  where p.period = 'day' and p.period_start between ?::date and ?::date ${gateFilter}
                    ${direction ? '' : 'and not gate = any(p.entry_gates)'}`
          }
        ) present
        group by 1, 2
     )
     select to_char(day, 'YYYY-MM-DD') as day, gate, verifications, granted, denied, entries, exits,
            coalesce(unique_students, 0) as unique_students
       from counts left join uniques using (day, gate)
      order by 1, 2`,
    [...w.bindings, ...(direction ? [] : presenceBindings), ...presenceBindings],
  );
  return {
    title: 'Daily summary of gate verifications',
    columns: [
      { key: 'day', label: 'Day' },
      { key: 'gate', label: 'Gate' },
      ...VERIFICATION_COLUMNS,
      { key: 'entries', label: 'Entries', additive: true },
      { key: 'exits', label: 'Exits', additive: true },
      { key: 'unique_students', label: 'Unique students' },
    ],
    rows: result.map((r) => ({
      day: String(r.day),
      gate: String(r.gate),
      verifications: num(r.verifications),
      granted: num(r.granted),
      denied: num(r.denied),
      entries: num(r.entries),
      exits: num(r.exits),
      unique_students: num(r.unique_students),
    })),
    notes: ['One row per day and gate; days without verifications are omitted.', ...filterNote(request)],
  };
}

async function weeklyTrends(db: Knex, request: NormalisedReportRequest): Promise<ReportTable> {
  const w = hourlyWindow(request);
  const [result, uniques] = await Promise.all([
    rows<Record<string, unknown>>(
      db,
      `with weeks as (
          select generate_series(date_trunc('week', ?::date), date_trunc('week', ?::date), interval '1 week')::date as week_start
       ), stats as (
          select date_trunc('week', bucket at time zone 'UTC')::date as week_start, ${COUNTS}
            from access_log_hourly where ${w.where} group by 1
       )
       select to_char(weeks.week_start, 'YYYY-MM-DD') as week_start,
              coalesce(verifications, 0) as verifications, coalesce(granted, 0) as granted, coalesce(denied, 0) as denied,
              round(100.0 * coalesce(denied, 0) / nullif(verifications, 0), 2) as denial_rate_pct,
              round(100.0 * (coalesce(verifications, 0) - lag(coalesce(verifications, 0)) over w)
                    / nullif(lag(coalesce(verifications, 0)) over w, 0), 2) as change_pct
         from weeks left join stats using (week_start)
       window w as (order by weeks.week_start)
        order by weeks.week_start`,
      [request.range.from, request.range.to, ...w.bindings],
    ),
    uniqueStudents(db, request, presencePieces(request.range, 'week')),
  ]);
  return {
    title: 'Weekly verification trends',
    columns: [
      { key: 'week_start', label: 'Week starting (Monday)' },
      ...VERIFICATION_COLUMNS,
      { key: 'denial_rate_pct', label: 'Denial rate %' },
      { key: 'unique_students', label: 'Unique students' },
      { key: 'change_pct', label: 'Change vs previous week %' },
    ],
    rows: result.map((r) => ({
      week_start: String(r.week_start),
      verifications: num(r.verifications),
      granted: num(r.granted),
      denied: num(r.denied),
      denial_rate_pct: num(r.denial_rate_pct),
      unique_students: uniques.get(String(r.week_start)) ?? 0,
      change_pct: num(r.change_pct),
    })),
    notes: [
      'Weeks are ISO weeks (Monday to Sunday, UTC); the first and last week count only days inside the range.',
      ...filterNote(request),
    ],
  };
}

interface PeriodStats {
  verifications: number;
  granted: number;
  denied: number;
  unique_students: number;
}

/**
 * Verification figures per period (`month` or `year`), plus the busiest gate, the peak hour and the
 * busiest month of each period, from one small (period, month, gate, hour) aggregate of the hourly
 * rollup; unique students from the presence rollup.
 */
async function verificationsBy(db: Knex, request: NormalisedReportRequest, period: 'month' | 'year') {
  const w = hourlyWindow(request);
  const [detail, uniques] = await Promise.all([
    rows<{ period: string; month: string; gate: string; hour: number; verifications: string; granted: string; denied: string }>(
      db,
      `select to_char(date_trunc('${period}', bucket at time zone 'UTC'), 'YYYY-MM-DD') as period,
              to_char(bucket at time zone 'UTC', 'YYYY-MM') as month, gate,
              extract(hour from bucket at time zone 'UTC')::int as hour, ${COUNTS}
         from access_log_hourly where ${w.where} group by 1, 2, 3, 4`,
      w.bindings,
    ),
    uniqueStudents(db, request, presencePieces(request.range, period)),
  ]);
  const stats = new Map<string, PeriodStats & { gates: Map<string, number>; hours: Map<number, number>; months: Map<string, number> }>();
  for (const d of detail) {
    let s = stats.get(d.period);
    if (!s) {
      s = {
        verifications: 0,
        granted: 0,
        denied: 0,
        unique_students: uniques.get(d.period) ?? 0,
        gates: new Map(),
        hours: new Map(),
        months: new Map(),
      };
      stats.set(d.period, s);
    }
    const n = Number(d.verifications);
    s.verifications += n;
    s.granted += Number(d.granted);
    s.denied += Number(d.denied);
    s.gates.set(d.gate, (s.gates.get(d.gate) ?? 0) + n);
    s.hours.set(d.hour, (s.hours.get(d.hour) ?? 0) + n);
    s.months.set(d.month, (s.months.get(d.month) ?? 0) + n);
  }
  return stats;
}

/** The key with the highest count; ties go to the smallest key, so the answer is stable. */
function busiest<K extends string | number>(counts: Map<K, number> | undefined): K | null {
  let best: K | null = null;
  let bestCount = -1;
  for (const [key, count] of [...(counts ?? new Map<K, number>())].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (count > bestCount) [best, bestCount] = [key, count];
  }
  return best;
}

async function applicationsBy(db: Knex, request: NormalisedReportRequest, period: 'month' | 'year') {
  const from = `${request.range.from}T00:00:00Z`;
  const to = new Date(Date.parse(`${request.range.to}T00:00:00Z`) + 86_400_000).toISOString();
  const bucket = (column: string) => `to_char(date_trunc('${period}', ${column} at time zone 'UTC'), 'YYYY-MM-DD')`;
  const result = await rows<{
    period: string;
    submitted: number;
    approved: number;
    rejected: number;
    decision_hours: string | null;
    issued: number;
    revoked: number;
  }>(
    db,
    `with submitted as (
        select ${bucket('submitted_at')} as period, count(*) as submitted from applications
         where submitted_at >= ? and submitted_at < ? group by 1
     ), decided as (
        select ${bucket('decided_at')} as period,
               count(*) filter (where status = 'approved') as approved,
               count(*) filter (where status = 'rejected') as rejected,
               avg(extract(epoch from decided_at - submitted_at)) / 3600 as decision_hours
          from applications where decided_at >= ? and decided_at < ? and status in ('approved', 'rejected') group by 1
     ), issued as (
        select ${bucket('created_at')} as period, count(*) as issued from passes where created_at >= ? and created_at < ? group by 1
     ), revoked as (
        select ${bucket('revoked_at')} as period, count(*) as revoked from passes where revoked_at >= ? and revoked_at < ? group by 1
     )
     select period, coalesce(submitted, 0) as submitted, coalesce(approved, 0) as approved, coalesce(rejected, 0) as rejected,
            round(decision_hours, 1) as decision_hours, coalesce(issued, 0) as issued, coalesce(revoked, 0) as revoked
       from submitted full join decided using (period) full join issued using (period) full join revoked using (period)`,
    [from, to, from, to, from, to, from, to],
  );
  return new Map(result.map((r) => [r.period, r]));
}

/** Every period start (YYYY-MM-DD) from the range's first to its last, so empty periods still show. */
function periodsOf(request: NormalisedReportRequest, period: 'month' | 'year'): string[] {
  const [fy, fm] = request.range.from.split('-').map(Number) as [number, number];
  const [ty, tm] = request.range.to.split('-').map(Number) as [number, number];
  const out: string[] = [];
  if (period === 'year') {
    for (let y = fy; y <= ty; y++) out.push(`${y}-01-01`);
    return out;
  }
  for (let i = fy * 12 + fm - 1; i <= ty * 12 + tm - 1; i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`);
  return out;
}

async function periodReport(db: Knex, request: NormalisedReportRequest, period: 'month' | 'year'): Promise<ReportTable> {
  const [logs, apps] = await Promise.all([verificationsBy(db, request, period), applicationsBy(db, request, period)]);
  const label = period === 'month' ? 'Month' : 'Year';
  const columns: Column[] = [
    { key: period, label },
    ...VERIFICATION_COLUMNS,
    { key: 'unique_students', label: 'Unique students' },
    { key: 'busiest_gate', label: 'Busiest gate' },
    { key: 'peak_hour', label: 'Peak hour (UTC)' },
    ...(period === 'year' ? [{ key: 'busiest_month', label: 'Busiest month' }] : []),
    { key: 'applications_submitted', label: 'Applications submitted', additive: true },
    { key: 'applications_approved', label: 'Approved', additive: true },
    { key: 'applications_rejected', label: 'Rejected', additive: true },
    { key: 'approval_rate_pct', label: 'Approval rate %' },
    { key: 'avg_decision_hours', label: 'Average decision time (h)' },
    { key: 'passes_issued', label: 'Passes issued', additive: true },
    { key: 'passes_revoked', label: 'Passes revoked', additive: true },
  ];
  const out = periodsOf(request, period).map((start) => {
    const l = logs.get(start);
    const a = apps.get(start);
    const decided = Number(a?.approved ?? 0) + Number(a?.rejected ?? 0);
    return {
      [period]: period === 'month' ? start.slice(0, 7) : start.slice(0, 4),
      verifications: l?.verifications ?? 0,
      granted: l?.granted ?? 0,
      denied: l?.denied ?? 0,
      unique_students: l?.unique_students ?? 0,
      busiest_gate: busiest(l?.gates),
      peak_hour: busiest(l?.hours),
      ...(period === 'year' ? { busiest_month: busiest(l?.months) } : {}),
      applications_submitted: Number(a?.submitted ?? 0),
      applications_approved: Number(a?.approved ?? 0),
      applications_rejected: Number(a?.rejected ?? 0),
      approval_rate_pct: decided ? Math.round((10_000 * Number(a?.approved ?? 0)) / decided) / 100 : null,
      avg_decision_hours: num(a?.decision_hours),
      passes_issued: Number(a?.issued ?? 0),
      passes_revoked: Number(a?.revoked ?? 0),
    };
  });
  return {
    title: period === 'month' ? 'Monthly report' : 'Annual report',
    columns,
    rows: out,
    notes: [
      'Applications count as submitted in the period they were submitted and as approved or rejected in the period they were decided.',
      'The first and last period count only days inside the range.',
      ...filterNote(request),
    ],
  };
}

export const REPORT_QUERIES: Record<ReportType, (db: Knex, request: NormalisedReportRequest) => Promise<ReportTable>> = {
  'daily-summary': dailySummary,
  'weekly-trends': weeklyTrends,
  monthly: (db, request) => periodReport(db, request, 'month'),
  annual: (db, request) => periodReport(db, request, 'year'),
};
