import type { Knex } from 'knex';

/**
 * Who passed a gate, per day, ISO week, month and year: the rollup behind the reports' "unique
 * students", which hourly counts cannot give (a student seen in two hours is one student).
 *
 * One row per period and student present in it, with the gates they were seen at by direction
 * (every outcome counts, as `count(distinct student_id)` over the log does). A report reads one
 * row per student for each whole period and per-day rows only for the days of a period the range
 * cuts, so a year costs the students present in it, not the passages; exact, not a sketch.
 *
 * Kept by a statement trigger on `access_logs` (its transition table holds exactly the rows
 * inserted, so `on conflict do nothing` replays add nothing), whoever inserts: the API's writer,
 * an API of the previous version during a rolling update, seeds. The hourly counts stay in the
 * writer's own statement: moving them here would count twice while old pods still write them.
 * An update only rewrites a row when it brings a gate the row lacks.
 */
/**
 * Presence rows (period, start, student, gates by direction) of the access logs in `source`,
 * grouped. Exported with `MERGE_PRESENCE` for the bulk loader (scripts/bulk-access-logs.ts), which
 * builds the same rows without the trigger: one definition of what presence is.
 */
export const presenceOf = (source: string) => `
  select k.period, k.period_start, n.student_id,
         coalesce(array_agg(distinct n.gate order by n.gate) filter (where n.direction = 'entry'), '{}'),
         coalesce(array_agg(distinct n.gate order by n.gate) filter (where n.direction = 'exit'), '{}')
    from ${source} n
    cross join lateral (values
      ('day', (n.occurred_at at time zone 'UTC')::date),
      ('week', date_trunc('week', n.occurred_at at time zone 'UTC')::date),
      ('month', date_trunc('month', n.occurred_at at time zone 'UTC')::date),
      ('year', date_trunc('year', n.occurred_at at time zone 'UTC')::date)) k (period, period_start)
   where n.student_id is not null
   group by 1, 2, 3`;

/** What an insert into `access_log_presence as p` does with a row that exists: adds the gates it lacks. */
export const MERGE_PRESENCE = `on conflict (period, period_start, student_id) do update
         set entry_gates = access_log_presence_merge(p.entry_gates, excluded.entry_gates),
             exit_gates = access_log_presence_merge(p.exit_gates, excluded.exit_gates)
       where not (p.entry_gates @> excluded.entry_gates and p.exit_gates @> excluded.exit_gates)`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table access_log_presence (
      period text not null check (period in ('day', 'week', 'month', 'year')),
      period_start date not null,
      student_id uuid not null,
      entry_gates text[] not null,
      exit_gates text[] not null,
      primary key (period, period_start, student_id)
    );

    create function access_log_presence_merge(a text[], b text[]) returns text[]
      language sql immutable parallel safe
      return array(select distinct g from unnest(a || b) g order by g);

    create function access_log_presence_add() returns trigger language plpgsql as $$
    begin
      insert into access_log_presence as p (period, period_start, student_id, entry_gates, exit_gates)
      ${presenceOf('inserted_rows')}
       -- A fixed order makes concurrent flushes lock rows alike (no deadlock), as the hourly rollup does.
       order by 1, 2, 3
      ${MERGE_PRESENCE};
      return null;
    end $$;

    create trigger access_logs_presence after insert on access_logs
      referencing new table as inserted_rows for each statement execute function access_log_presence_add();

    insert into access_log_presence (period, period_start, student_id, entry_gates, exit_gates)
    ${presenceOf('access_logs')}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop trigger if exists access_logs_presence on access_logs;
    drop function if exists access_log_presence_add();
    drop function if exists access_log_presence_merge(text[], text[]);
    drop table if exists access_log_presence;
  `);
}
