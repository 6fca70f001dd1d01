/**
 * `npm run seed -- --students 100000 [--users 10000] [--passes N] [--access-logs N]`
 * Demo and load-test data at scale, generated inside Postgres (INSERT … SELECT generate_series)
 * so a hundred thousand students take seconds. Idempotent: rows that exist are kept.
 *
 * Accounts: user0…user{N-1}@university.edu (role staff, the seed k6 tests log in with them), and
 * admin@, staff@, security@, student@university.edu — all with password TestPassword123!. The
 * load-test accounts share one Argon2 hash (one salt): hashing 10,000 passwords one by one would
 * take minutes and protect nothing in demo data. With NODE_ENV=production no account is created
 * (`--users 0` seeds data only; anything else is refused).
 */
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { hashPassword } from '../api/auth/passwords.js';
import { createKnex } from '../core/db.js';
import { DEMO_PASSWORD } from '../core/demo-accounts.js';
import { migrateLatest } from '../core/migrate.js';
import { HEAD_SHARE_PERCENT, namePools, type NamePool } from './seed-names.js';

export const SEED_PASSWORD = DEMO_PASSWORD;

const PROGRAMMES: [code: string, name: string][] = [
  ['CS', 'computer-science'],
  ['EN', 'engineering'],
  ['ME', 'medicine'],
  ['LW', 'law'],
  ['BU', 'business'],
  ['AR', 'architecture'],
  ['PH', 'physics'],
  ['MA', 'mathematics'],
  ['HI', 'history'],
  ['BI', 'biology'],
];

/** A non-negative pseudo-random bigint for row g and stream `salt`, the same on every run. */
const HASH = (salt: number) => `(hashint8extended(g::bigint, ${salt}) & 9223372036854775807)`;

/**
 * A name pool as a table (position, display, ascii): the common head first, then the tail. Rows
 * join it by position, which stays fast where indexing a large array parameter per row does not.
 */
function poolTable(name: string): string {
  return `${name} as (
    select (n - 1)::int as position, display, ascii
      from unnest(cast(:${name}Display as text[]), cast(:${name}Ascii as text[])) with ordinality as p(display, ascii, n)
  )`;
}

function poolBindings(name: string, head: NamePool, tail: NamePool): Record<string, unknown> {
  return {
    [`${name}Display`]: [...head.display, ...tail.display],
    [`${name}Ascii`]: [...head.ascii, ...tail.ascii],
    [`${name}Head`]: head.display.length,
    [`${name}Tail`]: tail.display.length,
  };
}

/** Position in a pool: from the head for HEAD_SHARE_PERCENT of rows, else from the tail. */
const pick = (name: string, coin: number, choice: number) =>
  `case when ${HASH(coin)} % 100 < :head then ${HASH(choice)} % :${name}Head else :${name}Head + ${HASH(choice)} % :${name}Tail end`;

export async function seedStudents(knex: Knex, count: number, log: (m: string) => void = () => undefined): Promise<void> {
  const names = namePools();
  const codes = PROGRAMMES.map(([c]) => c);
  const programmes = PROGRAMMES.map(([, n]) => n);
  const batch = 50_000;
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch) - 1;
    // Values spread over the row number g; 80 % of students are active. First and last names are
    // drawn with independent hashes of g, so full names do not repeat in a short cycle.
    await knex.raw(
      `with ${poolTable('firstNames')}, ${poolTable('lastNames')},
       rows as (
         select g, ${pick('firstNames', 1, 2)} as first_position, ${pick('lastNames', 3, 4)} as last_position
           from generate_series(cast(:start as int), cast(:end as int)) g
       )
       insert into students (student_id, first_name, last_name, email, programme, year_of_study, status, created_at)
       select (cast(:codes as text[]))[1 + g % :codeCount] || (2019 + (g / 7) % 6)::text || lpad(g::text, 6, '0'),
              f.display, l.display,
              f.ascii || '.' || l.ascii || '.' || g || '@university.edu',
              (cast(:programmes as text[]))[1 + g % :codeCount],
              1 + (g / 3) % 5,
              case when g % 10 < 8 then 'active' when g % 10 = 8 then 'graduated' else 'suspended' end,
              now() - ((g % 20000) * interval '37 minutes')
         from rows
         join firstNames f on f.position = rows.first_position
         join lastNames l on l.position = rows.last_position
       on conflict do nothing`,
      {
        codes,
        programmes,
        codeCount: codes.length,
        start,
        end,
        head: HEAD_SHARE_PERCENT,
        ...poolBindings('firstNames', names.commonFirst, names.first),
        ...poolBindings('lastNames', names.commonLast, names.last),
      },
    );
    log(`students: ${end + 1}/${count}`);
  }
  await knex.raw('analyze students');
}

export async function seedUsers(
  knex: Knex,
  loadTestUsers: number,
  log: (m: string) => void = () => undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (env.NODE_ENV === 'production') {
    throw new Error(
      `refusing to create accounts with the published demo password in production (NODE_ENV=production): seed with --users 0, and create real accounts`,
    );
  }
  const hash = await hashPassword(SEED_PASSWORD);
  await knex.raw(
    `insert into users (email, password_hash, role, display_name)
     select 'user' || g || '@university.edu', ?, 'staff', 'Load test user ' || g from generate_series(0, ?::int - 1) g
     on conflict do nothing`,
    [hash, loadTestUsers],
  );
  const student = await knex('students').whereNull('deleted_at').orderBy('created_at', 'desc').first('id');
  const demo = [
    { email: 'admin@university.edu', role: 'admin', display_name: 'Demo admin', student_ref: null },
    { email: 'staff@university.edu', role: 'staff', display_name: 'Demo staff', student_ref: null },
    { email: 'security@university.edu', role: 'security', display_name: 'Demo gate security', student_ref: null },
    { email: 'student@university.edu', role: 'student', display_name: 'Demo student', student_ref: student?.id ?? null },
  ];
  for (const account of demo) {
    await knex.raw(
      'insert into users (email, password_hash, role, display_name, student_ref) values (?, ?, ?, ?, ?) on conflict do nothing',
      [account.email, hash, account.role, account.display_name, account.student_ref],
    );
  }
  log(`users: ${loadTestUsers} load-test accounts + ${demo.length} demo accounts (password ${SEED_PASSWORD})`);
}

/** Optional generators contributed by other modules (passes, access logs), loaded when present. */
async function seedOptional(knex: Knex, passes: number, accessLogs: number, log: (m: string) => void): Promise<void> {
  if (!passes && !accessLogs) return;
  const mod = (await import('./seed-passes.js')) as {
    seedPasses(k: Knex, o: { count: number }): Promise<void>;
    seedAccessLogs(k: Knex, o: { count: number }): Promise<unknown>;
  };
  if (passes) await mod.seedPasses(knex, { count: passes });
  if (passes) log(`passes: ${passes}`);
  if (accessLogs) await mod.seedAccessLogs(knex, { count: accessLogs });
  if (accessLogs) log(`access logs: ${accessLogs}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      students: { type: 'string', default: '1000' },
      users: { type: 'string', default: '10000' },
      passes: { type: 'string', default: '0' },
      'access-logs': { type: 'string', default: '0' },
    },
  });
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const knex = createKnex(url, 4, 0);
  const log = (m: string) => console.log(m);
  try {
    await migrateLatest(knex);
    await seedStudents(knex, Number(values.students), log);
    if (Number(values.users) > 0 || process.env.NODE_ENV !== 'production') await seedUsers(knex, Number(values.users), log);
    await seedOptional(knex, Number(values.passes), Number(values['access-logs']), log);
  } finally {
    await knex.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    console.error(`seed failed: ${err.message}`);
    process.exit(1);
  });
}
