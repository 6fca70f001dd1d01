import type { Knex } from 'knex';

/**
 * Two narrow hourly rollups for analytics, so a month of hourly figures reads thousands of rows
 * instead of tens of thousands: `access_log_hourly_gate` (one row per hour and gate: total, valid,
 * entries, exits — what each bucket of the answer shows) and `access_log_hourly_outcome` (one row
 * per hour and outcome — the totals by outcome). `access_log_hourly` (hour, gate, direction,
 * outcome) stays for the reports and for outcome totals of one gate.
 *
 * Kept by a statement trigger on `access_logs` from exactly the rows inserted, like the presence
 * rollup (so an API of the previous version, which only bumps `access_log_hourly`, is counted
 * during a rolling update); filled here from `access_log_hourly`, whose counts they regroup.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table access_log_hourly_gate (
      bucket timestamptz not null,
      gate text not null,
      total bigint not null,
      valid bigint not null,
      entries bigint not null,
      exits bigint not null,
      primary key (bucket, gate)
    );
    create table access_log_hourly_outcome (
      bucket timestamptz not null,
      outcome text not null,
      count bigint not null,
      primary key (bucket, outcome)
    );

    create function access_log_hourly_narrow_add() returns trigger language plpgsql as $$
    begin
      insert into access_log_hourly_gate as h (bucket, gate, total, valid, entries, exits)
      select date_trunc('hour', occurred_at, 'UTC'), gate, count(*),
             count(*) filter (where outcome = 'valid'),
             count(*) filter (where outcome = 'valid' and direction = 'entry'),
             count(*) filter (where outcome = 'valid' and direction = 'exit')
        from inserted_rows group by 1, 2
       -- A fixed order makes concurrent flushes lock rows alike (no deadlock), as the hourly rollup does.
       order by 1, 2
      on conflict (bucket, gate) do update
         set total = h.total + excluded.total, valid = h.valid + excluded.valid,
             entries = h.entries + excluded.entries, exits = h.exits + excluded.exits;
      insert into access_log_hourly_outcome as h (bucket, outcome, count)
      select date_trunc('hour', occurred_at, 'UTC'), outcome, count(*) from inserted_rows group by 1, 2 order by 1, 2
      on conflict (bucket, outcome) do update set count = h.count + excluded.count;
      return null;
    end $$;

    create trigger access_logs_hourly_narrow after insert on access_logs
      referencing new table as inserted_rows for each statement execute function access_log_hourly_narrow_add();

    insert into access_log_hourly_gate (bucket, gate, total, valid, entries, exits)
    select bucket, gate, sum(count),
           coalesce(sum(count) filter (where outcome = 'valid'), 0),
           coalesce(sum(count) filter (where outcome = 'valid' and direction = 'entry'), 0),
           coalesce(sum(count) filter (where outcome = 'valid' and direction = 'exit'), 0)
      from access_log_hourly group by 1, 2;
    insert into access_log_hourly_outcome (bucket, outcome, count)
    select bucket, outcome, sum(count) from access_log_hourly group by 1, 2;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists access_logs_hourly_narrow on access_logs;
    drop function if exists access_log_hourly_narrow_add();
    drop table if exists access_log_hourly_gate, access_log_hourly_outcome;
  `);
}
