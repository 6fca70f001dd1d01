/**
 * `npm run bench`: load-tests the real API (the compiled build in a separate process, as pods run
 * it; real Postgres and Redis) with
 * autocannon and reports throughput and p50/p95/p99 beside ceilings measured in the same run.
 *
 * Environment: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres; the database is
 * created and seeded once), REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_SCALE (`default`: 100,000 students and 1,000,000 access logs in pp_bench; `large`: 1,000,000
 * and 10,000,000 in pp_bench_large), BENCH_DATABASE (another database name, e.g. per branch),
 * BENCH_STUDENTS (overrides the scale's students), BENCH_DURATION (seconds per run, default 8),
 * BENCH_CONNECTIONS (default 32), BENCH_ONLY (comma-separated group names to run), BENCH_API_ENTRY
 * (another build's dist/api/main.js, e.g. the code before a change, benched the same way).
 * Results: printed, and written to .bench/results.json and .bench/results.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { SEED_PASSWORD, seedStudents, seedUsers } from '../scripts/seed.js';
import { formatTable, measure, pick, row, type BenchContext, type BenchRow } from './harness.js';
import { ensureCompiledApi, loginToken, startApiProcess, startCeilingProcess } from './api-process.js';
import { benchScale } from './scale.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCALE = benchScale();
/** Its own name lets two branches with different migrations bench on one server. */
const BENCH_DATABASE = process.env.BENCH_DATABASE ?? SCALE.database;
const STUDENTS = SCALE.students;
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const REDIS_KEY_PREFIX = `pp:bench:${randomBytes(3).toString('hex')}:`;

const log = (m: string) => console.log(`[bench] ${m}`);

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function prepareDatabase(): Promise<string> {
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 1, max: 1 } });
  const exists = await admin.raw('select 1 from pg_database where datname = ?', [BENCH_DATABASE]);
  if (exists.rows.length === 0) await admin.raw('create database ??', [BENCH_DATABASE]);
  await admin.destroy();
  const url = databaseUrl(BENCH_DATABASE);
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 4 } });
  try {
    const { migrateLatest } = await import('../core/migrate.js');
    await migrateLatest(knex);
    const [{ count }] = (await knex('students').count('* as count')) as [{ count: number }];
    if (Number(count) < STUDENTS) {
      log(`seeding ${STUDENTS} students (have ${count})`);
      await seedStudents(knex, STUDENTS, log);
    }
    await seedUsers(knex, 10_000);
  } finally {
    await knex.destroy();
  }
  return url;
}

/** The API core: framework overhead, login and student reads (search: bench/search.ts). */
async function benchCore(ctx: BenchContext, studentIds: string[]): Promise<BenchRow[]> {
  const base = { duration: ctx.durationSeconds, connections: ctx.connections };
  const auth = { authorization: `Bearer ${ctx.tokens.staff}` };
  const rows: BenchRow[] = [];

  ctx.log('framework: GET /health vs bare Koa');
  const ceilingJson = await measure({ ...base, url: `${ctx.ceilingUrl}/json` });
  rows.push(row('GET /health (full middleware)', await measure({ ...base, url: `${ctx.apiUrl}/health` }), 'bare Koa JSON', ceilingJson));

  ctx.log('login vs Argon2 verify alone');
  const loginBody = () => JSON.stringify({ email: `user${Math.floor(Math.random() * 10_000)}@university.edu`, password: SEED_PASSWORD });
  const login = await measure({
    ...base,
    url: ctx.apiUrl,
    requests: [
      {
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: loginBody() }),
      },
    ],
  });
  rows.push(row('POST /auth/login', login, 'Argon2id verify only', await measure({ ...base, url: `${ctx.ceilingUrl}/argon2` })));

  ctx.log('student by id vs raw pg primary-key query');
  const byId = await measure({
    ...base,
    url: ctx.apiUrl,
    headers: auth,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/students/${pick(studentIds)}` }) }],
  });
  const rawById = await measure({
    ...base,
    url: ctx.ceilingUrl,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/pg/student/${pick(studentIds)}` }) }],
  });
  rows.push(row('GET /students/:id', byId, 'raw pg by primary key', rawById));
  return rows;
}

type BenchModule = Record<string, (ctx: BenchContext) => Promise<BenchRow[]>>;

/** Benchmarks contributed by other modules (search, passes, analytics, uploads, reports), run when present. */
async function optionalGroups(): Promise<[string, (ctx: BenchContext) => Promise<BenchRow[]>][]> {
  const groups: [string, (ctx: BenchContext) => Promise<BenchRow[]>][] = [];
  for (const [file, fn] of [
    ['search', 'benchSearch'],
    ['passes', 'benchPasses'],
    ['analytics', 'benchAnalytics'],
    ['uploads', 'benchUploads'],
    ['reports', 'benchReports'],
    ['realtime', 'benchRealtime'],
    ['cold-start', 'benchColdStart'],
    ['mixed', 'benchMixed'],
  ] as const) {
    if (!existsSync(join(HERE, `${file}.ts`))) continue;
    const mod = (await import(`./${file}.js`)) as BenchModule;
    const run = mod[fn];
    if (run) groups.push([file, run]);
  }
  return groups;
}

async function main(): Promise<void> {
  const dbUrl = await prepareDatabase();
  const entry = process.env.BENCH_API_ENTRY;
  if (!entry) ensureCompiledApi(log);
  const api = await startApiProcess({
    databaseUrl: dbUrl,
    redisUrl: REDIS_URL,
    redisKeyPrefix: REDIS_KEY_PREFIX,
    ...(entry ? { entry } : {}),
  });
  const ceiling = await startCeilingProcess(dbUrl);
  const children = [api.child, ceiling.child];
  try {
    const tokens = {
      admin: await loginToken(api.url, 'admin@university.edu'),
      staff: await loginToken(api.url, 'staff@university.edu'),
      security: await loginToken(api.url, 'security@university.edu'),
      student: await loginToken(api.url, 'student@university.edu'),
    };
    const knex = knexFactory({ client: 'pg', connection: dbUrl, pool: { min: 1, max: 1 } });
    const studentIds = (await knex('students').whereNull('deleted_at').limit(2000).pluck('id')) as string[];
    await knex.destroy();
    const ctx: BenchContext = {
      apiUrl: api.url,
      apiPid: api.child.pid,
      ceilingUrl: ceiling.url,
      databaseUrl: dbUrl,
      redisUrl: REDIS_URL,
      redisKeyPrefix: REDIS_KEY_PREFIX,
      tokens,
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      log,
    };
    const groups: [string, (c: BenchContext) => Promise<BenchRow[]>][] = [
      ['core', (c) => benchCore(c, studentIds)],
      ...(await optionalGroups()),
    ];
    const rows: BenchRow[] = [];
    for (const [name, run] of groups) {
      if (ONLY.length && !ONLY.includes(name)) continue;
      log(`group ${name}`);
      rows.push(...(await run(ctx)));
    }
    const table = formatTable(rows);
    console.log(`\n${table}\n`);
    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    const meta = {
      date: new Date().toISOString(),
      scale: SCALE.name,
      students: STUDENTS,
      accessLogs: SCALE.accessLogs,
      loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      cpus: (await import('node:os')).cpus().length,
    };
    writeFileSync(join(ROOT, '.bench/results.json'), JSON.stringify({ meta, rows }, null, 2));
    writeFileSync(join(ROOT, '.bench/results.md'), `${JSON.stringify(meta)}\n\n${table}\n`);
    for (const r of rows.filter((x) => x.notes)) console.log(`${r.name}: ${r.notes}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
