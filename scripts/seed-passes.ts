/**
 * Seed generators for passes and access logs at scale (`npm run seed -- --passes N --access-logs N`).
 * Everything is generated inside Postgres with generate_series, in batches small enough to stay
 * under a statement timeout: a million access logs take seconds, not minutes.
 *
 * Seeded passes carry an unsigned placeholder token (`seed.<id>`): signing needs the deployment's
 * private key, which the database never sees. They count in analytics and listings; passes that
 * must scan at a gate are issued through the API.
 */
import type { Knex } from 'knex';
import { ensureAccessLogPartitions } from '../api/access-logs/partitions.js';
import { bulkLoadAccessLogs, type BulkLoadTimings } from './bulk-access-logs.js';

const BATCH = 200_000;
const GATES = ['main-gate', 'north-gate', 'south-gate', 'library', 'sports-centre', 'lab-block'];

/** `count` passes for random active students: mostly standard, one in eight temporary, one in forty revoked. */
export async function seedPasses(knex: Knex, { count }: { count: number }): Promise<void> {
  for (let start = 1; start <= count; start += BATCH) {
    await knex.raw(
      `with s as (select array_agg(id) as ids from (select id from students where status = 'active' and deleted_at is null limit 100000) x),
            g as (select gen_random_uuid() as id, i from generate_series(?::bigint, ?::bigint) i)
       insert into passes (id, student_id, pass_type, status, valid_from, valid_until, key_id, qr_token, qr_code_hash, revoked_at, created_at)
       select g.id,
              s.ids[1 + (g.i * 7919) % array_length(s.ids, 1)],
              case when g.i % 8 = 0 then 'temporary' else 'standard' end,
              case when g.i % 40 = 0 then 'revoked' else 'active' end,
              now() - ((g.i * 2654435761) % 200) * interval '1 day',
              now() - ((g.i * 2654435761) % 200) * interval '1 day' + case when g.i % 8 = 0 then interval '5 days' else interval '365 days' end,
              'seed', 'seed.' || g.id, encode(sha256(('seed.' || g.id)::bytea), 'hex'),
              case when g.i % 40 = 0 then now() - (g.i % 30) * interval '1 day' end,
              now() - ((g.i * 2654435761) % 200) * interval '1 day'
         from g, s
        where array_length(s.ids, 1) > 0`,
      [start, Math.min(count, start + BATCH - 1)],
    );
  }
  await knex.raw('analyze passes');
}

/**
 * `count` access logs over the last `days` days, for seeded passes (or none when there are no
 * passes): gates, directions and outcomes in fixed proportions, about one in twelve refused. One
 * bulk load (scripts/bulk-access-logs.ts): the rows are generated inside Postgres, the rollups
 * built once from them, the secondary indexes rebuilt at the end.
 */
export async function seedAccessLogs(
  knex: Knex,
  { count, days = 90, log }: { count: number; days?: number; log?: (message: string) => void },
): Promise<BulkLoadTimings> {
  const now = new Date();
  await ensureAccessLogPartitions(knex, { from: new Date(now.getTime() - days * 86_400_000), to: now });
  return bulkLoadAccessLogs(
    knex,
    {
      sql: `with p as (select array_agg(id) as ids, array_agg(student_id) as students from (select id, student_id from passes limit 100000) x)
            select now() - ((i * 2654435761) % (? * 86400)) * interval '1 second',
                   p.ids[1 + (i * 104729) % greatest(array_length(p.ids, 1), 1)],
                   p.students[1 + (i * 104729) % greatest(array_length(p.ids, 1), 1)],
                   (?::text[])[1 + (i * 7) % ?],
                   case when i % 2 = 0 then 'entry' else 'exit' end,
                   case when i % 20 = 0 then 'expired' when i % 37 = 0 then 'anti_passback' when i % 53 = 0 then 'revoked'
                        when i % 97 = 0 then 'forged' else 'valid' end
              from generate_series(1, ?::bigint) i, p`,
      bindings: [days, GATES, GATES.length, count],
    },
    log,
  );
}
