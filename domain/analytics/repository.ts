/**
 * Analytics queries. Verification figures come from hourly rollups, never from a scan of the
 * access log, so they cost the same at ten million access logs as at a thousand: the buckets from
 * `access_log_hourly_gate` (one row per hour and gate), the totals by outcome from
 * `access_log_hourly_outcome` (one row per hour and outcome), or for one gate from
 * `access_log_hourly` (hour, gate, direction, outcome). A month of hourly buckets reads ≈ 4,000
 * and ≈ 3,500 rows rather than the ≈ 40,000 of the widest rollup (migration 20261204_303).
 */
import type { Knex } from 'knex';
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

const GRANULARITY_SECONDS = { hour: 3600, day: 86_400 } as const;

/** The query's buckets: one row per bucket and gate (bucket, gate, total, valid, entries, exits). */
function bucketRows(q: VerificationsQuestion): { sql: string; bindings: Knex.RawBinding[] } {
  const gateFilter = q.gate ? 'and gate = ?' : '';
  const bindings = [q.from, q.to, ...(q.gate ? [q.gate] : [])];
  // An hourly bucket is one row of the hourly table (its key is hour and gate): no grouping then.
  const sql =
    q.granularity === 'hour'
      ? `select bucket, gate, total, valid, entries, exits from access_log_hourly_gate where bucket >= ? and bucket < ? ${gateFilter}`
      : `select date_trunc('day', bucket, 'UTC') as bucket, gate, sum(total) as total, sum(valid) as valid,
                sum(entries) as entries, sum(exits) as exits
           from access_log_hourly_gate where bucket >= ? and bucket < ? ${gateFilter} group by 1, 2`;
  return { sql, bindings };
}

/** The totals by outcome as the members of a JSON object (`"valid":12,"expired":3`), largest first. */
function outcomeMembers(q: VerificationsQuestion): { sql: string; bindings: Knex.RawBinding[] } {
  return {
    sql: `(select coalesce(string_agg(to_json(o.outcome)::text || ':' || o.total, ',' order by o.total desc, o.outcome), '')
             from (select outcome, sum(count) as total
                     from ${q.gate ? 'access_log_hourly' : 'access_log_hourly_outcome'}
                    where bucket >= ? and bucket < ? ${q.gate ? 'and gate = ?' : ''}
                    group by 1) o)`,
    bindings: [q.from, q.to, ...(q.gate ? [q.gate] : [])],
  };
}

/** `{"bucket":…,"gate":…,…},…`: the buckets by time, then gate. */
function rowsText(q: VerificationsQuestion): { sql: string; bindings: Knex.RawBinding[] } {
  const buckets = bucketRows(q);
  return {
    sql: `(select coalesce(string_agg(
             '{"bucket":"' || to_char(b.bucket at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') || '","gate":' || to_json(b.gate)::text
             || ',"total":' || b.total || ',"valid":' || b.valid || ',"invalid":' || (b.total - b.valid)
             || ',"entries":' || b.entries || ',"exits":' || b.exits || '}',
             ',' order by b.bucket, b.gate), '')
            from (${buckets.sql}) b)`,
    bindings: buckets.bindings,
  };
}

/**
 * `"gate":{"total":[…],"valid":[…],…},…`: per gate, each figure as an array with one value per
 * bucket of [from, to), 0 where the gate saw nothing. A row's place in the arrays is its bucket's
 * index i; the zeros before it are the indexes skipped since the gate's previous row, and after
 * its last row those up to the end of the range.
 */
function seriesText(q: VerificationsQuestion): { sql: string; bindings: Knex.RawBinding[] } {
  const step = GRANULARITY_SECONDS[q.granularity];
  const count = Math.round((q.to.getTime() - q.from.getTime()) / 1000 / step);
  const buckets = bucketRows(q);
  const series = (figure: string) => `string_agg(gap || ${figure}, ',' order by i) || tail`;
  return {
    sql: `(select coalesce(string_agg(
             to_json(s.gate)::text || ':{"total":[' || s.total || '],"valid":[' || s.valid || '],"invalid":[' || s.invalid
             || '],"entries":[' || s.entries || '],"exits":[' || s.exits || ']}',
             ',' order by s.gate), '')
            from (select gate, ${series('total')} as total, ${series('valid')} as valid, ${series('(total - valid)')} as invalid,
                         ${series('entries')} as entries, ${series('exits')} as exits
                    from (select b.*,
                                 repeat('0,', (i - coalesce(lag(i) over (partition by gate order by i), -1) - 1)::int) as gap,
                                 repeat(',0', (?::int - 1 - max(i) over (partition by gate))::int) as tail
                            from (select b.*, ((extract(epoch from b.bucket)::bigint - ?::bigint) / ?::int)::int as i
                                    from (${buckets.sql}) b) b) r
                   group by gate, tail) s)`,
    bindings: [count, q.from.getTime() / 1000, step, ...buckets.bindings],
  };
}

/**
 * The verifications answer (`VerificationsView`, or `VerificationSeriesView` for the `series`
 * layout) as JSON text, written by Postgres: a month of hourly buckets per gate is ≈ 4,000
 * objects, and turning the rows into JavaScript objects and those into JSON again cost the API
 * ≈ 7-14 ms of CPU per answer (pg's row and date parsing, the objects' garbage, two
 * `JSON.stringify`s: one for the cache, one for the reply), far more than Postgres spends
 * building the same text. The text goes to the cache and into the reply as it is.
 */
export async function verificationsJson(db: Knex, q: VerificationsQuestion): Promise<string> {
  const figures = q.layout === 'series' ? seriesText(q) : rowsText(q);
  const outcomes = outcomeMembers(q);
  const result = await db.raw<{ rows: { figures: string; outcomes: string }[] }>(
    `select ${figures.sql} as figures, ${outcomes.sql} as outcomes`,
    [...figures.bindings, ...outcomes.bindings],
  );
  const row = result.rows[0] ?? { figures: '', outcomes: '' };
  const head = JSON.stringify({ granularity: q.granularity, from: q.from.toISOString(), to: q.to.toISOString() }).slice(0, -1);
  return q.layout === 'series'
    ? `${head},"layout":"series","gates":{${row.figures}},"outcomes":{${row.outcomes}}}`
    : `${head},"buckets":[${row.figures}],"outcomes":{${row.outcomes}}}`;
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
