/**
 * Analytics queries. Verification figures come from rollups, never from a scan of the access log,
 * so they cost the same at ten million access logs as at a thousand. Whole UTC days of a range
 * are read as per-day pieces written by Postgres when the day's rows arrive (migration
 * 20261205_601): `access_log_daily` (the day's bucket objects as JSON text), `access_log_daily_gate`
 * (per day and gate: the day's sums and the series layout's 24 hourly values of each figure) and
 * `access_log_daily_outcome`; a month of hourly buckets then reads ≈ 30 texts rather than ≈ 4,000
 * rows rendered one by one. The hours of the range outside whole days (its first and last day, cut)
 * come from the hourly rollups `access_log_hourly_gate` (one row per hour and gate) and
 * `access_log_hourly_outcome` (one row per hour and outcome), as do all of a range shorter than a
 * day's boundaries allow. Totals by outcome of one gate come from `access_log_hourly` (hour, gate,
 * direction, outcome), and the rows layout of one gate from the hourly rows (≤ 744 of them).
 */
import type { Knex } from 'knex';
import { DayTextCache } from './day-texts.js';
import type { Funnel, ActivePasses } from './views.js';
export type { VerificationBucket, Funnel, ActivePasses } from './views.js';

export interface VerificationsQuestion {
  granularity: 'hour' | 'day';
  from: Date;
  to: Date;
  gate?: string | undefined;
  /** `rows` (default): one object per bucket and gate; `series`: per gate, one array per figure. */
  layout?: 'rows' | 'series' | undefined;
}

type Sql = { sql: string; bindings: Knex.RawBinding[] };

const GRANULARITY_SECONDS = { hour: 3600, day: 86_400 } as const;
const DAY_MS = 86_400_000;

/**
 * [from, to) cut at UTC midnights: the hours before the first whole day (`head`), the whole days
 * (`days`, read from the per-day pieces) and the hours after the last (`tail`). A range holding no
 * whole day is all head.
 */
function splitAtDays(q: VerificationsQuestion): { head: [Date, Date]; days: [Date, Date]; tail: [Date, Date] } {
  const firstDay = Math.ceil(q.from.getTime() / DAY_MS) * DAY_MS;
  const endDay = Math.floor(q.to.getTime() / DAY_MS) * DAY_MS;
  if (firstDay >= endDay) return { head: [q.from, q.to], days: [q.to, q.to], tail: [q.to, q.to] };
  return { head: [q.from, new Date(firstDay)], days: [new Date(firstDay), new Date(endDay)], tail: [new Date(endDay), q.to] };
}

/** `bucket >= ? and bucket < ?` over the head and the tail of the range (the hours outside whole days). */
function cutHours(q: VerificationsQuestion): Sql {
  const { head, tail } = splitAtDays(q);
  return { sql: '((bucket >= ? and bucket < ?) or (bucket >= ? and bucket < ?))', bindings: [...head, ...tail] };
}

const gateFilter = (q: VerificationsQuestion): Sql => (q.gate ? { sql: 'and gate = ?', bindings: [q.gate] } : { sql: '', bindings: [] });

/**
 * The range's bucket rows (bucket, gate, total, valid, entries, exits): hourly ones from the hourly
 * rollup (its key is hour and gate: no grouping); daily ones from the per-day sums of the whole
 * days plus the cut hours grouped by day.
 */
function bucketRows(q: VerificationsQuestion): Sql {
  const gate = gateFilter(q);
  if (q.granularity === 'hour')
    return {
      sql: `select bucket, gate, total, valid, entries, exits from access_log_hourly_gate where bucket >= ? and bucket < ? ${gate.sql}`,
      bindings: [q.from, q.to, ...gate.bindings],
    };
  const cut = cutHours(q);
  const { days } = splitAtDays(q);
  return {
    sql: `select bucket, gate, sum(total)::bigint as total, sum(valid)::bigint as valid,
                 sum(entries)::bigint as entries, sum(exits)::bigint as exits
            from (select date_trunc('day', bucket, 'UTC') as bucket, gate, total, valid, entries, exits
                    from access_log_hourly_gate where ${cut.sql} ${gate.sql}
                  union all
                  select day, gate, total, valid, entries, exits
                    from access_log_daily_gate where day >= ? and day < ? ${gate.sql}) u
           group by 1, 2`,
    bindings: [...cut.bindings, ...gate.bindings, ...days, ...gate.bindings],
  };
}

/** The totals by outcome as the members of a JSON object (`"valid":12,"expired":3`), largest first. */
function outcomeMembers(q: VerificationsQuestion): Sql {
  const cut = cutHours(q);
  const { days } = splitAtDays(q);
  const counts: Sql = q.gate
    ? {
        sql: 'select outcome, count from access_log_hourly where bucket >= ? and bucket < ? and gate = ?',
        bindings: [q.from, q.to, q.gate],
      }
    : {
        sql: `select outcome, count from access_log_hourly_outcome where ${cut.sql}
              union all
              select outcome, count from access_log_daily_outcome where day >= ? and day < ?`,
        bindings: [...cut.bindings, ...days],
      };
  return {
    sql: `(select coalesce(string_agg(to_json(o.outcome)::text || ':' || o.total, ',' order by o.total desc, o.outcome), '')
             from (select outcome, sum(count) as total from (${counts.sql}) c group by 1) o)`,
    bindings: counts.bindings,
  };
}

const bucketJson = (b: string) => `access_log_bucket_json(${b}.bucket, ${b}.gate, ${b}.total, ${b}.valid, ${b}.entries, ${b}.exits)`;

/** `{"bucket":…,"gate":…,…},…`: the buckets by time, then gate (daily, or one gate's hours). */
function rowsText(q: VerificationsQuestion): Sql {
  const buckets = bucketRows(q);
  return {
    sql: `(select coalesce(string_agg(${bucketJson('b')}, ',' order by b.bucket, b.gate), '') from (${buckets.sql}) b)`,
    bindings: buckets.bindings,
  };
}

/**
 * The series layout's pieces: (bucket, gate, width in buckets, and each figure's values as text).
 * Hourly: a whole day of a gate is one piece 24 hours wide; a cut hour, one bucket wide. Daily:
 * one bucket row per piece.
 */
function seriesPieces(q: VerificationsQuestion): Sql {
  const gate = gateFilter(q);
  if (q.granularity === 'day') {
    const buckets = bucketRows(q);
    return {
      sql: `select bucket, gate, 1 as width, total::text, valid::text, (total - valid)::text as invalid, entries::text, exits::text
              from (${buckets.sql}) b`,
      bindings: buckets.bindings,
    };
  }
  const cut = cutHours(q);
  const { days } = splitAtDays(q);
  return {
    sql: `select bucket, gate, 1 as width, total::text, valid::text, (total - valid)::text as invalid, entries::text, exits::text
            from access_log_hourly_gate where ${cut.sql} ${gate.sql}
          union all
          select day, gate, 24, hourly_total, hourly_valid, hourly_invalid, hourly_entries, hourly_exits
            from access_log_daily_gate where day >= ? and day < ? ${gate.sql}`,
    bindings: [...cut.bindings, ...gate.bindings, ...days, ...gate.bindings],
  };
}

/**
 * `"gate":{"total":[…],"valid":[…],…},…`: per gate, each figure as an array with one value per
 * bucket of [from, to), 0 where the gate saw nothing. A piece starts at its bucket's index i and
 * covers `width` buckets; the zeros before it are the indexes since the end of the gate's previous
 * piece, and after its last piece those up to the end of the range.
 */
function seriesText(q: VerificationsQuestion): Sql {
  const step = GRANULARITY_SECONDS[q.granularity];
  const count = Math.round((q.to.getTime() - q.from.getTime()) / 1000 / step);
  const pieces = seriesPieces(q);
  const series = (figure: string) => `string_agg(gap || ${figure}, ',' order by i) || tail`;
  return {
    sql: `(select coalesce(string_agg(
             to_json(s.gate)::text || ':{"total":[' || s.total || '],"valid":[' || s.valid || '],"invalid":[' || s.invalid
             || '],"entries":[' || s.entries || '],"exits":[' || s.exits || ']}',
             ',' order by s.gate), '')
            from (select gate, ${series('total')} as total, ${series('valid')} as valid, ${series('invalid')} as invalid,
                         ${series('entries')} as entries, ${series('exits')} as exits
                    from (select p.*,
                                 repeat('0,', (i - coalesce(lag(i + width) over (partition by gate order by i), 0))::int) as gap,
                                 repeat(',0', (?::int - max(i + width) over (partition by gate))::int) as tail
                            from (select p.*, ((extract(epoch from p.bucket)::bigint - ?::bigint) / ?::int)::int as i
                                    from (${pieces.sql}) p) p) r
                   group by gate, tail) s)`,
    bindings: [count, q.from.getTime() / 1000, step, ...pieces.bindings],
  };
}

/** `{"granularity":…,"from":…,"to":…` (no closing brace): what every answer starts with. */
const answerHead = (q: VerificationsQuestion) =>
  JSON.stringify({ granularity: q.granularity, from: q.from.toISOString(), to: q.to.toISOString() }).slice(0, -1);

const COMMA = Buffer.from(',');

interface DayTextRow {
  /** Null on the one row of the cut hours and the outcomes; else the day (ms since the epoch, as text: a bigint). */
  day: string | null;
  version: string | null;
  /** The day's text, or null when its version is one the caller holds. */
  buckets: string | null;
  head: string | null;
  tail: string | null;
  outcomes: string | null;
}

/**
 * Hours, every gate, rows layout: the cut hours rendered by Postgres, the whole days' texts from
 * `dayTexts` where the version it holds is current, else sent by the same statement (one snapshot).
 * The buckets are the head's, each day's and the tail's texts joined by commas, as `concat_ws` and
 * `string_agg` joined them when Postgres sent all of it.
 */
async function hourlyRowsFromDayTexts(db: Knex, q: VerificationsQuestion, dayTexts: DayTextCache): Promise<Buffer> {
  const { head, days, tail } = splitAtDays(q);
  const holding = dayTexts.holding(days[0].getTime(), days[1].getTime(), DAY_MS);
  const hours = `(select string_agg(${bucketJson('h')}, ',' order by h.bucket, h.gate) from access_log_hourly_gate h
                   where h.bucket >= ? and h.bucket < ?)`;
  const outcomes = outcomeMembers(q);
  const dayMs = `(extract(epoch from day) * 1000)::bigint`;
  const result = await db.raw<{ rows: DayTextRow[] }>(
    `select null::bigint as day, null::text as version, null::text as buckets, ${hours} as head, ${hours} as tail, ${outcomes.sql} as outcomes
     union all
     select ${dayMs}, xmin::text, case when ${dayMs} || ':' || xmin::text = any(?::text[]) then null else buckets end, null, null, null
       from access_log_daily where day >= ? and day < ? and buckets <> ''
     order by day nulls first`,
    [...head, ...tail, ...outcomes.bindings, holding.versions, ...days],
  );
  const [summary, ...dayRows] = result.rows;
  const texts: Buffer[] = [];
  if (summary?.head) texts.push(Buffer.from(summary.head));
  for (const row of dayRows) texts.push(holding.text(Number(row.day), row.version ?? '', row.buckets));
  if (summary?.tail) texts.push(Buffer.from(summary.tail));
  const buckets = texts.flatMap((text, i) => (i === 0 ? [text] : [COMMA, text]));
  return Buffer.concat([
    Buffer.from(`${answerHead(q)},"buckets":[`),
    ...buckets,
    Buffer.from(`],"outcomes":{${summary?.outcomes ?? ''}}}`),
  ]);
}

/**
 * The verifications answer (`VerificationsView`, or `VerificationSeriesView` for the `series`
 * layout) as UTF-8 JSON, written by Postgres: a month of hourly buckets per gate is ≈ 4,000
 * objects, and turning the rows into JavaScript objects and those into JSON again cost the API
 * ≈ 7-14 ms of CPU per answer (pg's row and date parsing, the objects' garbage, two
 * `JSON.stringify`s: one for the cache, one for the reply), far more than Postgres spends
 * building the same text. The bytes go to the cache and into the reply as they are.
 *
 * Hourly rows for every gate (the default question) take the whole days' texts from `dayTexts`
 * when it holds them at their current version (pass one cache per process; without one, every
 * day's text is read).
 */
export async function verificationsJson(db: Knex, q: VerificationsQuestion, dayTexts = new DayTextCache()): Promise<Buffer> {
  const layout = q.layout ?? 'rows';
  if (layout === 'rows' && q.granularity === 'hour' && !q.gate) return hourlyRowsFromDayTexts(db, q, dayTexts);
  const figures = layout === 'series' ? seriesText(q) : rowsText(q);
  const outcomes = outcomeMembers(q);
  const result = await db.raw<{ rows: { figures: string; outcomes: string }[] }>(
    `select ${figures.sql} as figures, ${outcomes.sql} as outcomes`,
    [...figures.bindings, ...outcomes.bindings],
  );
  const row = result.rows[0] ?? { figures: '', outcomes: '' };
  return Buffer.from(
    layout === 'series'
      ? `${answerHead(q)},"layout":"series","gates":{${row.figures}},"outcomes":{${row.outcomes}}}`
      : `${answerHead(q)},"buckets":[${row.figures}],"outcomes":{${row.outcomes}}}`,
  );
}

/** Applications submitted in the range, by where they are now, with the approval rate and decision time. */
export async function applicationFunnel(db: Knex, range: { from: Date; to: Date }): Promise<Funnel> {
  const result = await db.raw<{ rows: { status: string; count: number; median_hours: number | null }[] }>(
    `select status, count(*)::bigint as count,
            percentile_cont(0.5) within group (order by extract(epoch from decided_at - submitted_at) / 3600)
              filter (where decided_at is not null) as median_hours
       from applications
      where submitted_at >= ? and submitted_at < ?
      group by rollup (status)`,
    [range.from, range.to],
  );
  const byStatus: Record<string, number> = { submitted: 0, under_review: 0, approved: 0, rejected: 0, withdrawn: 0 };
  let total = 0;
  let median: number | null = null;
  for (const row of result.rows) {
    if (row.status === null) {
      total = Number(row.count);
      median = row.median_hours === null ? null : Number(row.median_hours);
    } else byStatus[row.status] = Number(row.count);
  }
  const approved = byStatus.approved ?? 0;
  const rejected = byStatus.rejected ?? 0;
  const decided = approved + rejected;
  return {
    submitted: total,
    byStatus,
    decided,
    approvalRate: decided > 0 ? approved / decided : null,
    medianHoursToDecision: median === null ? null : Math.round(median * 100) / 100,
  };
}

/** Passes valid now by type, those starting later, those about to expire, recent revocations. */
export async function activePasses(db: Knex, now: Date): Promise<ActivePasses> {
  const result = await db.raw<{ rows: { pass_type: string; active: number; scheduled: number; expiring: number }[] }>(
    `select pass_type,
            count(*) filter (where valid_from <= ?) as active,
            count(*) filter (where valid_from > ?) as scheduled,
            count(*) filter (where valid_from <= ? and valid_until < ?::timestamptz + interval '7 days') as expiring
       from passes
      where status = 'active' and valid_until > ?
      group by pass_type`,
    [now, now, now, now, now],
  );
  const revoked = await db.raw<{ rows: { count: number }[] }>(
    `select count(*)::bigint as count from passes where status = 'revoked' and revoked_at >= ?::timestamptz - interval '30 days'`,
    [now],
  );
  const active: Record<string, number> = { standard: 0, temporary: 0 };
  let scheduled = 0;
  let expiring = 0;
  for (const row of result.rows) {
    active[row.pass_type] = Number(row.active);
    scheduled += Number(row.scheduled);
    expiring += Number(row.expiring);
  }
  return { active, scheduled, expiringWithin7Days: expiring, revokedLast30Days: Number(revoked.rows[0]?.count ?? 0) };
}
