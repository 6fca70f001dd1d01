/**
 * Analytics queries. Verification figures come from hourly rollups, never from a scan of the
 * access log, so they cost the same at ten million access logs as at a thousand: the buckets from
 * `access_log_hourly_gate` (one row per hour and gate), the totals by outcome from
 * `access_log_hourly_outcome` (one row per hour and outcome), or for one gate from
 * `access_log_hourly` (hour, gate, direction, outcome). A month of hourly buckets reads ≈ 4,000
 * and ≈ 3,500 rows rather than the ≈ 40,000 of the widest rollup (migration 20261204_303).
 */
import type { Knex } from 'knex';
import type { VerificationBucket, Funnel, ActivePasses } from './views.js';
export type { VerificationBucket, Funnel, ActivePasses } from './views.js';

export async function verificationsOverTime(
  db: Knex,
  q: { granularity: 'hour' | 'day'; from: Date; to: Date; gate?: string | undefined },
): Promise<{ buckets: VerificationBucket[]; outcomes: Record<string, number> }> {
  const gateFilter = q.gate ? 'and gate = ?' : '';
  const params = [q.from, q.to, ...(q.gate ? [q.gate] : [])];
  const [buckets, outcomes] = await Promise.all([
    db.raw<{ rows: { bucket: Date; gate: string; total: string; valid: string; entries: string; exits: string }[] }>(
      `select date_trunc('${q.granularity}', bucket, 'UTC') as bucket, gate,
              sum(total)::int8 as total, sum(valid)::int8 as valid, sum(entries)::int8 as entries, sum(exits)::int8 as exits
         from access_log_hourly_gate
        where bucket >= ? and bucket < ? ${gateFilter}
        group by 1, 2
        order by 1, 2`,
      params,
    ),
    db.raw<{ rows: { outcome: string; total: string }[] }>(
      `select outcome, sum(count) as total
         from ${q.gate ? 'access_log_hourly' : 'access_log_hourly_outcome'}
        where bucket >= ? and bucket < ? ${gateFilter}
        group by 1
        order by 2 desc, 1`,
      params,
    ),
  ]);
  return {
    buckets: buckets.rows.map((r) => ({
      bucket: r.bucket.toISOString(),
      gate: r.gate,
      total: Number(r.total),
      valid: Number(r.valid),
      invalid: Number(r.total) - Number(r.valid),
      entries: Number(r.entries),
      exits: Number(r.exits),
    })),
    outcomes: Object.fromEntries(outcomes.rows.map((r) => [r.outcome, Number(r.total)])),
  };
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
