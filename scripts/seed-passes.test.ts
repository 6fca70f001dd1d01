import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { seedAccessLogs, seedPasses } from './seed-passes.js';
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
});
