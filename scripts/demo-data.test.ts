/**
 * The demo data `npm start` loads on a first start, on a real migrated Postgres: never with
 * NODE_ENV=production, all of it into an empty database, once even when two starts race on the
 * same database, and nothing over data that is already there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { DEMO_ACCOUNTS, DEMO_DATA, loadDemoDataOnce } from './demo-data.js';
import { useTestDatabase } from '../testing/use-test-environment.js';

async function counts(knex: Knex) {
  const count = async (table: string) => Number(((await knex(table).count('* as n')) as [{ n: string }])[0].n);
  return {
    users: await count('users'),
    students: await count('students'),
    passes: await count('passes'),
    accessLogs: await count('access_logs'),
  };
}

describe('demo data on the first start', () => {
  const data = useTestDatabase('demo-data', 4, 60_000);
  const noLog = () => undefined;

  it('NODE_ENV=production: refused, and nothing is written', async () => {
    assert.equal(await loadDemoDataOnce(data.knex, { NODE_ENV: 'production' }, noLog), 'refused-in-production');
    assert.deepEqual(await counts(data.knex), { users: 0, students: 0, passes: 0, accessLogs: 0 });
  });

  it('two starts racing on an empty database: one loads the whole set, the other keeps it', { timeout: 600_000 }, async () => {
    const outcomes = await Promise.all([loadDemoDataOnce(data.knex, {}, noLog), loadDemoDataOnce(data.knex, {}, noLog)]);
    assert.deepEqual(outcomes.sort(), ['kept-existing-data', 'loaded']);
    assert.deepEqual(await counts(data.knex), {
      users: DEMO_DATA.loadTestUsers + DEMO_ACCOUNTS.length,
      students: DEMO_DATA.students,
      passes: DEMO_DATA.passes,
      accessLogs: DEMO_DATA.accessLogs,
    });
    const accounts = await data.knex('users').whereIn('email', DEMO_ACCOUNTS).orderBy('email').pluck('role');
    assert.deepEqual(accounts, ['admin', 'security', 'staff', 'student']);
    const johns = await data.knex('students').where('first_name', 'John').orWhere('last_name', 'John').count('* as n');
    assert.ok(Number((johns as [{ n: string }])[0].n) > 0, 'the README searches for john: the demo set has Johns');
  });

  it('a database that already has users is left alone', async () => {
    const before = await counts(data.knex);
    assert.equal(await loadDemoDataOnce(data.knex, {}, noLog), 'kept-existing-data');
    assert.deepEqual(await counts(data.knex), before);
  });
});
