import type { Knex } from 'knex';

/**
 * Per-day pieces of the analytics answer, so a month of hourly figures reads ≈ 30 rows (one text
 * per day, or one per day and gate) instead of ≈ 4,000 hourly rows each rendered as JSON on every
 * request. A day's pieces are written from that day's hourly rollup rows, in the JSON the answer
 * carries (domain/analytics/repository.ts reads them and renders only the hours of the range's
 * first and last day that are not whole days):
 * - `access_log_daily`: the day's bucket objects of the `rows` layout, by hour then gate (one text);
 * - `access_log_daily_gate`: per day and gate, the day's sums (the `day` granularity's buckets)
 *   and the `series` layout's 24 hourly values of each figure, comma-separated;
 * - `access_log_daily_outcome`: per day and outcome, the count (the totals by outcome).
 *
 * Kept by a statement trigger on `access_logs`, whoever inserts (the API's writer, an API of the
 * previous version, seeds): every day that received rows is rewritten from its hourly rows, today's
 * as well as a finished day that gets a late write. Triggers of one event fire in the order of
 * their names, so `access_logs_rollup_daily` runs after `access_logs_hourly_narrow` has added this
 * statement's rows to `access_log_hourly_gate` and `access_log_hourly_outcome`.
 *
 * Concurrent writers: a day's rewrite reads the hourly rows as committed, so two transactions
 * writing the same day at once would each miss the other's rows, and the later one's text would
 * win. The day's `access_log_daily` row is its lock: taken first, in day order (no deadlock), then
 * the rewrite runs as a new statement, whose snapshot sees every transaction that held the lock
 * before. The critical section is the rewrite (≈ 150 hourly rows for a whole day) plus the commit;
 * every flush already queues on the current hour's rollup rows the same way.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- One bucket of the rows layout as JSON text: written into the day pieces and, for the hours of a
    -- range that are not whole days, by the analytics query itself (one definition of the format).
    create function access_log_bucket_json(bucket timestamptz, gate text, total bigint, valid bigint, entries bigint, exits bigint)
      returns text language sql stable parallel safe
      return '{"bucket":"' || to_char(bucket at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') || '","gate":' || to_json(gate)::text
             || ',"total":' || total || ',"valid":' || valid || ',"invalid":' || (total - valid)
             || ',"entries":' || entries || ',"exits":' || exits || '}';

    create table access_log_daily (
      day timestamptz primary key,
      buckets text not null
    );
    create table access_log_daily_gate (
      day timestamptz not null,
      gate text not null,
      total bigint not null,
      valid bigint not null,
      entries bigint not null,
      exits bigint not null,
      hourly_total text not null,
      hourly_valid text not null,
      hourly_invalid text not null,
      hourly_entries text not null,
      hourly_exits text not null,
      primary key (day, gate)
    );
    create table access_log_daily_outcome (
      day timestamptz not null,
      outcome text not null,
      count bigint not null,
      primary key (day, outcome)
    );
    -- A month of day texts is ≈ 450 KB: stored out of line uncompressed, read without decompressing.
    alter table access_log_daily alter column buckets set storage external;

    create function access_log_daily_refresh(days timestamptz[]) returns void language plpgsql as $$
    begin
      if coalesce(cardinality(days), 0) = 0 then
        return;
      end if;
      -- The days' locks (see the migration's comment); a new day gets its row here.
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
      insert into access_log_daily_gate (day, gate, total, valid, entries, exits,
                                         hourly_total, hourly_valid, hourly_invalid, hourly_entries, hourly_exits)
      select g.day, g.gate, sum(h.total), sum(h.valid), sum(h.entries), sum(h.exits),
             string_agg(coalesce(h.total, 0)::text, ',' order by hour),
             string_agg(coalesce(h.valid, 0)::text, ',' order by hour),
             string_agg(coalesce(h.total - h.valid, 0)::text, ',' order by hour),
             string_agg(coalesce(h.entries, 0)::text, ',' order by hour),
             string_agg(coalesce(h.exits, 0)::text, ',' order by hour)
        from (select distinct d.day, h.gate
                from unnest(days) d (day)
                join access_log_hourly_gate h on h.bucket >= d.day and h.bucket < d.day + interval '24 hours') g
       cross join generate_series(0, 23) hour
        left join access_log_hourly_gate h on h.bucket = g.day + make_interval(hours => hour) and h.gate = g.gate
       group by 1, 2;

      delete from access_log_daily_outcome where day = any(days);
      insert into access_log_daily_outcome (day, outcome, count)
      select d.day, o.outcome, sum(o.count)
        from unnest(days) d (day)
        join access_log_hourly_outcome o on o.bucket >= d.day and o.bucket < d.day + interval '24 hours'
       group by 1, 2;
    end $$;

    create function access_log_daily_add() returns trigger language plpgsql as $$
    begin
      perform access_log_daily_refresh(array(select distinct date_trunc('day', occurred_at, 'UTC') from inserted_rows));
      return null;
    end $$;

    create trigger access_logs_rollup_daily after insert on access_logs
      referencing new table as inserted_rows for each statement execute function access_log_daily_add();

    select access_log_daily_refresh(array(select distinct date_trunc('day', bucket, 'UTC') from access_log_hourly_gate));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists access_logs_rollup_daily on access_logs;
    drop function if exists access_log_daily_add();
    drop function if exists access_log_daily_refresh(timestamptz[]);
    drop table if exists access_log_daily, access_log_daily_gate, access_log_daily_outcome;
    drop function if exists access_log_bucket_json(timestamptz, text, bigint, bigint, bigint, bigint);
  `);
}
