import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { seedAccessLogs, seedPasses } from './seed-passes.js';
import { presenceOf } from '../core/migrations/20261204_301_access_log_presence.js';
import { useTestDatabase } from '../testing/use-test-environment.js';

describe('pass and access-log seeding', () => {
  const data = useTestDatabase('seed-passes', 2, 60_000);
  before(() =>
    data.knex.raw(`insert into students (student_id, first_name, last_name, email, programme, year_of_study)
      select 'SD2026' || lpad(i::text, 4, '0'), 'F' || i, 'L' || i, 'seed' || i || '@university.edu', 'law', 1 from generate_series(1, 50) i`),
  );

  it('inserts the asked number of passes and access logs, with a rollup that adds up to the rows', async () => {
    await seedPasses(data.knex, { count: 1_000 });
    await seedAccessLogs(data.knex, { count: 20_000, days: 40 });
    const [{ passes }] = (await data.knex('passes').count('* as passes')) as [{ passes: string }];
    assert.equal(Number(passes), 1_000);
    const [{ logs }] = (await data.knex('access_logs').count('* as logs')) as [{ logs: string }];
    assert.equal(Number(logs), 20_000);
    const [{ rolled }] = (await data.knex('access_log_hourly').sum('count as rolled')) as [{ rolled: string }];
    assert.equal(Number(rolled), 20_000);
    const [{ stranded }] = (await data.knex('access_logs_default').count('* as stranded')) as [{ stranded: string }];
    assert.equal(Number(stranded), 0, 'every seeded month has its partition');
    const outcomes = await data.knex('access_logs').distinct('outcome').pluck('outcome');
    assert.ok(outcomes.includes('valid') && outcomes.includes('expired'));
  });

  it('builds the presence rollup without the trigger, equal to the rows: fresh periods, and periods a second load adds to', async () => {
    /** Presence rows the log implies (the trigger's own query over the whole table) that the rollup lacks, and the reverse. */
    const differences = async () => {
      const implied = `select period, period_start, student_id, entry_gates, exit_gates from (${presenceOf('access_logs')}) x (period, period_start, student_id, entry_gates, exit_gates)`;
      const stored = 'select period, period_start, student_id, entry_gates, exit_gates from access_log_presence';
      const missing = await data.knex.raw(`select count(*)::int as n from (${implied} except ${stored}) d`);
      const extra = await data.knex.raw(`select count(*)::int as n from (${stored} except ${implied}) d`);
      return { missing: missing.rows[0].n as number, extra: extra.rows[0].n as number };
    };
    const presenceRows = async () => Number(((await data.knex('access_log_presence').count('* as n')) as [{ n: string }])[0].n);
    assert.ok((await presenceRows()) > 0);
    assert.deepEqual(await differences(), { missing: 0, extra: 0 });
    // Over 60 days this time: the first 40 days' periods already have rows, to be merged into.
    await seedAccessLogs(data.knex, { count: 5_000, days: 60 });
    assert.deepEqual(await differences(), { missing: 0, extra: 0 });
    const [{ tgenabled }] = (await data.knex.raw(`select tgenabled from pg_trigger where tgname = 'access_logs_presence'`)).rows as [
      { tgenabled: string },
    ];
    assert.equal(tgenabled, 'O', 'the trigger is on again for every other writer');
  });
});
