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
}

/**
 * The verifications answer (`VerificationsView`) as JSON text, written by Postgres: a month of
 * hourly buckets per gate is ≈ 4,000 objects, and turning the rows into JavaScript objects and
 * those into JSON again cost the API ≈ 7 ms of CPU per answer (pg's row and date parsing, the
 * objects' garbage, two `JSON.stringify`s: one for the cache, one for the reply), far more than
 * Postgres spends building the same text. The text goes to the cache and into the reply as it is.
 * Buckets are ordered by time then gate; outcomes by count (largest first) then name.
 */
export async function verificationsJson(db: Knex, q: VerificationsQuestion): Promise<string> {
  const gateFilter = q.gate ? 'and gate = ?' : '';
  const range = [q.from, q.to, ...(q.gate ? [q.gate] : [])];
  // An hourly bucket is one row of the hourly table (its key is hour and gate): no grouping then.
  const buckets =
    q.granularity === 'hour'
      ? `select bucket, gate, total, valid, entries, exits from access_log_hourly_gate where bucket >= ? and bucket < ? ${gateFilter}`
      : `select date_trunc('day', bucket, 'UTC') as bucket, gate, sum(total) as total, sum(valid) as valid,
                sum(entries) as entries, sum(exits) as exits
           from access_log_hourly_gate where bucket >= ? and bucket < ? ${gateFilter} group by 1, 2`;
  const result = await db.raw<{ rows: { buckets: string; outcomes: string }[] }>(
    `select
       (select coalesce(string_agg(
                 '{"bucket":"' || to_char(b.bucket at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') || '","gate":' || to_json(b.gate)::text
                 || ',"total":' || b.total || ',"valid":' || b.valid || ',"invalid":' || (b.total - b.valid)
                 || ',"entries":' || b.entries || ',"exits":' || b.exits || '}',
                 ',' order by b.bucket, b.gate), '')
          from (${buckets}) b) as buckets,
       (select coalesce(string_agg(to_json(o.outcome)::text || ':' || o.total, ',' order by o.total desc, o.outcome), '')
          from (select outcome, sum(count) as total
                  from ${q.gate ? 'access_log_hourly' : 'access_log_hourly_outcome'}
                 where bucket >= ? and bucket < ? ${gateFilter}
                 group by 1) o) as outcomes`,
    [...range, ...range],
  );
  const row = result.rows[0] ?? { buckets: '', outcomes: '' };
  const head = JSON.stringify({ granularity: q.granularity, from: q.from.toISOString(), to: q.to.toISOString() }).slice(0, -1);
  return `${head},"buckets":[${row.buckets}],"outcomes":{${row.outcomes}}}`;
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
