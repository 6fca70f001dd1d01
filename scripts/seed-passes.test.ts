import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../core/db.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { seedAccessLogs, seedPasses } from './seed-passes.js';

describe('pass and access-log seeding', () => {
  let db: TestDatabase;
  let knex: Knex;
  before(async () => {
    db = await createTestDatabase('seed-passes');
    knex = createKnex(db.url, 2, 60_000);
    await knex.raw(`insert into students (student_id, first_name, last_name, email, programme, year_of_study)
      select 'SD2026' || lpad(i::text, 4, '0'), 'F' || i, 'L' || i, 'seed' || i || '@university.edu', 'law', 1 from generate_series(1, 50) i`);
  });
  after(async () => {
    await knex.destroy();
    await db.drop();
  });

  it('inserts the asked number of passes and access logs, with a rollup that adds up to the rows', async () => {
    await seedPasses(knex, { count: 1_000 });
    await seedAccessLogs(knex, { count: 20_000, days: 40 });
    const [{ passes }] = (await knex('passes').count('* as passes')) as [{ passes: string }];
    assert.equal(Number(passes), 1_000);
    const [{ logs }] = (await knex('access_logs').count('* as logs')) as [{ logs: string }];
    assert.equal(Number(logs), 20_000);
    const [{ rolled }] = (await knex('access_log_hourly').sum('count as rolled')) as [{ rolled: string }];
    assert.equal(Number(rolled), 20_000);
    const [{ stranded }] = (await knex('access_logs_default').count('* as stranded')) as [{ stranded: string }];
    assert.equal(Number(stranded), 0, 'every seeded month has its partition');
    const outcomes = await knex('access_logs').distinct('outcome').pluck('outcome');
    assert.ok(outcomes.includes('valid') && outcomes.includes('expired'));
  });
});
