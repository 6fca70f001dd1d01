/**
 * The demo data `npm start` loads into its embedded database on first start, so the README's own
 * login and search work at once: the demo accounts, the k6 load-test accounts, a few hundred
 * students, passes and access logs. Only into an empty database (no users yet), never in production.
 */
import type { Knex } from 'knex';
import { seedAccessLogs, seedPasses } from './seed-passes.js';
import { SEED_PASSWORD, seedStudents, seedUsers } from './seed.js';

export const DEMO_DATA = { students: 500, loadTestUsers: 10_000, passes: 300, accessLogs: 5_000 } as const;

export const DEMO_PASSWORD = SEED_PASSWORD;
export const DEMO_ACCOUNTS = ['admin@university.edu', 'staff@university.edu', 'security@university.edu', 'student@university.edu'] as const;

export type DemoDataOutcome = 'loaded' | 'kept-existing-data' | 'refused-in-production';

/** Loads the demo data set when the database has no users; leaves any existing data alone. */
export async function loadDemoDataOnce(knex: Knex, env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<DemoDataOutcome> {
  if (env.NODE_ENV === 'production') return 'refused-in-production';
  // One transaction-scoped lock, so two `npm start`s on the same data directory cannot both load.
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(724018)');
    const { rows } = await trx.raw<{ rows: { users: number }[] }>('select count(*)::int as users from users');
    if ((rows[0]?.users ?? 0) > 0) return 'kept-existing-data';
    log(`first start: loading demo data (${DEMO_DATA.students} students, ${DEMO_DATA.passes} passes, ${DEMO_DATA.accessLogs} access logs)`);
    await seedStudents(trx, DEMO_DATA.students);
    await seedUsers(trx, DEMO_DATA.loadTestUsers);
    await seedPasses(trx, { count: DEMO_DATA.passes });
    await seedAccessLogs(trx, { count: DEMO_DATA.accessLogs, days: 30 });
    return 'loaded';
  });
}
