import type { Knex } from 'knex';

/**
 * The per-day pieces' rewrite (migration 20261205_601) cost a 500-entry flush into a whole day
 * 10 ms of its 33: to find each gate's 24 hours by `bucket = day + hour`, the planner hashed the
 * whole of `access_log_hourly_gate` (a sequential scan, 13,000 rows at 90 days and growing with the
 * history; 6.6-7.8 ms of it, `explain analyze`). The day's hourly rows are now read once through
 * the key's range, each with its hour of the day, and joined to the gates' 24 hours by that number
 * (1.4 ms). Same pieces, byte for byte (workers/reports/rollups.test.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function access_log_daily_refresh(days timestamptz[]) returns void language plpgsql as $$
    begin
      if coalesce(cardinality(days), 0) = 0 then
        return;
      end if;
      -- The days' locks (see migration 20261205_601); a new day gets its row here.
      insert into access_log_daily as d (day, buckets)
      select day, '' from unnest(days) day order by 1
      on conflict (day) do update set buckets = d.buckets;

      update access_log_daily d
         set buckets = coalesce((select string_agg(access_log_bucket_json(h.bucket, h.gate, h.total, h.valid, h.entries, h.exits), ','
                                                   order by h.bucket, h.gate)
                                   from access_log_hourly_gate h
                                  where h.bucket >= d.day and h.bucket < d.day + interval '24 hours'), '')
       where d.day = any(days);

      delete from access_log_daily_gate where day = any(days);
      -- The day's hourly rows once, each with its hour of the day, then joined to every gate's 24 hours.
      with h as (
        select d.day, h.gate, (extract(epoch from h.bucket - d.day) / 3600)::int as hour, h.total, h.valid, h.entries, h.exits
          from unnest(days) d (day)
          join access_log_hourly_gate h on h.bucket >= d.day and h.bucket < d.day + interval '24 hours')
      insert into access_log_daily_gate (day, gate, total, valid, entries, exits,
                                         hourly_total, hourly_valid, hourly_invalid, hourly_entries, hourly_exits)
      select g.day, g.gate, sum(h.total), sum(h.valid), sum(h.entries), sum(h.exits),
             string_agg(coalesce(h.total, 0)::text, ',' order by s.hour),
             string_agg(coalesce(h.valid, 0)::text, ',' order by s.hour),
             string_agg(coalesce(h.total - h.valid, 0)::text, ',' order by s.hour),
             string_agg(coalesce(h.entries, 0)::text, ',' order by s.hour),
             string_agg(coalesce(h.exits, 0)::text, ',' order by s.hour)
        from (select distinct day, gate from h) g
       cross join generate_series(0, 23) s (hour)
        left join h on h.day = g.day and h.gate = g.gate and h.hour = s.hour
       group by 1, 2;

      delete from access_log_daily_outcome where day = any(days);
      insert into access_log_daily_outcome (day, outcome, count)
      select d.day, o.outcome, sum(o.count)
        from unnest(days) d (day)
        join access_log_hourly_outcome o on o.bucket >= d.day and o.bucket < d.day + interval '24 hours'
       group by 1, 2;
    end $$;
  `);
}

/** The previous definition is 20261205_601's; this one writes the same pieces, so it is kept. */
export async function down(): Promise<void> {}
