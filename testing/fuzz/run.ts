/**
 * `npm run fuzz`: the contract fuzzer. Seeds a fresh database with the demo data (`npm run seed`,
 * as a real process), then for each role and once without a token starts the API as a real
 * process on a copy of it, logs in and points schemathesis at the live `/openapi.json`. Every
 * generated request must get an answer that is not a 5xx and that the document describes: a
 * documented status, content type, headers and body schema. Exits 1 with schemathesis's report
 * when any case broke that.
 *
 * Environment: SCHEMATHESIS (the binary; scripts/ci/fuzz.sh installs it), FUZZ_MAX_EXAMPLES (cases
 * per operation and phase, default 20), FUZZ_SEED (default 20261204, so a run is reproducible),
 * FUZZ_ROLES (comma-separated subset of admin,staff,security,student,anonymous),
 * FUZZ_API_LOG (a file that keeps the API's log of the run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD } from '../../core/demo-accounts.js';
import { call } from '../api.js';
import { spawnApiProcess } from '../api-process.js';
import knexFactory from 'knex';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../db.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../redis.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROLES = ['admin', 'staff', 'security', 'student'] as const;
type Caller = (typeof ROLES)[number] | 'anonymous';

const SCHEMATHESIS =
  process.env.SCHEMATHESIS ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'passplatform/schemathesis-venv/bin/schemathesis');
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 20);
/** Cases per operation the caller may not call (each answers 401 or 403). */
const REFUSED_EXAMPLES = 3;
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const CALLERS = (process.env.FUZZ_ROLES?.split(',') ?? [...ROLES, 'anonymous']) as Caller[];
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

/** The command running now, stopped on SIGINT/SIGTERM so the run still cleans up after itself. */
let current: ChildProcess | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    current?.kill('SIGTERM');
  });
}

/** Runs a command with its output passed through; resolves with its exit code and the text it printed. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** "METHOD /path" of every documented operation, with the roles that may call it. */
function operationsOf(doc: { paths: Record<string, Record<string, { 'x-roles': 'public' | string[] }>> }) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, roles: operation['x-roles'] })),
  );
}

/** A Python regular expression matching exactly these operation names. */
function exactly(names: string[]): string {
  return `^(${names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}

/**
 * schemathesis's arguments for one caller and a selection of operations: the SSE feed never
 * ends, and logging out would void the token for the rest of the run.
 */
function schemathesisArgs(
  openApiUrl: string,
  token: string | undefined,
  selection: string[],
  depth: { phases: string; maxExamples: number },
): string[] {
  return [
    'run',
    openApiUrl,
    '--checks',
    CHECKS.join(','),
    '--phases',
    depth.phases,
    '--max-examples',
    String(depth.maxExamples),
    '--seed',
    String(SEED),
    // One worker: with two, hypothesis (on Python 3.11) sometimes fails describing a strategy in
    // two threads at once ("AST constructor recursion depth mismatch"), an error of the tool.
    '--workers',
    '1',
    '--request-timeout',
    '30',
    '--no-color',
    ...selection,
    '--exclude-path',
    '/realtime/events',
    ...(token ? ['--exclude-path', '/auth/logout', '--header', `Authorization: Bearer ${token}`] : []),
  ];
}

/**
 * What a caller's run starts from: a copy of the seeded database, a Redis prefix and an API
 * process of its own. One caller's cases change the data (the stateful phase follows the ids
 * `GET /students` returns into `DELETE /students/{id}`, and the demo student could no longer log
 * in after admin's run), and the next caller must not start from what the last one left.
 */
async function freshWorld(seeded: TestDatabase, caller: Caller, env: Record<string, string>) {
  const name = `${seeded.name}_${caller}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database "${name}" template "${seeded.name}"`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(seeded.url);
  url.pathname = `/${name}`;
  const redis = testRedisPrefix(`fuzz-${caller}`);
  const api = await spawnApiProcess({ ...env, DATABASE_URL: url.toString(), REDIS_KEY_PREFIX: redis.prefix }).catch(async (err: Error) => {
    await redis.cleanup();
    await dropDatabase(name);
    throw err;
  });
  return {
    api,
    async teardown() {
      if (api.child.exitCode === null) await api.stop();
      await redis.cleanup();
      await dropDatabase(name);
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.destroy();
  }
}

const database = await createTestDatabase('fuzz');
const scratch = mkdtempSync(join(tmpdir(), 'pp-fuzz-'));
const env: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: database.url,
  REDIS_URL: TEST_REDIS_URL,
  JWT_SECRET: randomBytes(32).toString('hex'),
  // A run on a busy machine can outlast the default 15-minute token; an expired one would turn
  // the rest of the run into 401s.
  ACCESS_TOKEN_TTL_SECONDS: '14400',
  // The fuzzer sends thousands of requests a minute from one address: the per-client limits (and
  // the failed-login lock-outs) would answer most of them 429 and leave the handlers untested.
  RATE_LIMIT_PER_MINUTE: '10000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '10000000',
  LOGIN_FAILURES_PER_ACCOUNT: '10000000',
  LOGIN_FAILURES_PER_ADDRESS: '10000000',
  STORAGE_DIR: join(scratch, 'storage'),
  ACCESS_LOG_SPILL_DIR: join(scratch, 'spill'),
};

/** The API's error lines (a 5xx's stack trace), printed when the run fails; the rest of its log is noise here. */
const apiErrors: string[] = [];
let partialLine = '';
function keepFailures(text: string): void {
  const lines = (partialLine + text).split('\n');
  partialLine = lines.pop() ?? '';
  for (const line of lines) if (/"level":(50|60)/.test(line) && apiErrors.length < 50) apiErrors.push(line);
}

const started = Date.now();
const outcomes: { caller: Caller; code: number; cases: number; seconds: number }[] = [];
let world: Awaited<ReturnType<typeof freshWorld>> | undefined;
try {
  const seeded = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/seed.ts', '--students', '60', '--users', '0', '--passes', '40', '--access-logs', '200'],
    { ...process.env, ...env },
  );
  if (seeded.code !== 0) throw new Error(`seeding failed (exit ${seeded.code})`);
  for (const caller of CALLERS) {
    if (interrupted) break;
    world = await freshWorld(database, caller, env);
    const { api } = world;
    if (process.env.FUZZ_API_LOG) api.child.stdout?.pipe(createWriteStream(process.env.FUZZ_API_LOG, { flags: 'a' }));
    api.child.stdout?.on('data', (chunk: Buffer) => keepFailures(chunk.toString()));
    const operations = operationsOf((await call(api.url, 'GET', '/openapi.json')).body);
    // POST /auth/login itself is fuzzed too; this one is the token the caller's cases carry.
    let token: string | undefined;
    if (caller !== 'anonymous') {
      const res = await call(api.url, 'POST', '/auth/login', { body: { email: `${caller}@university.edu`, password: DEMO_PASSWORD } });
      if (res.status !== 200) throw new Error(`login as ${caller} failed: ${res.status} ${JSON.stringify(res.body)}`);
      token = res.body.data.token as string;
    }
    // Every phase, at full depth, on what the caller may call. The rest answer 401/403 before
    // reading any input, so a few cases each prove that without the coverage phase's thousands.
    const own = operations.filter((o) => o.roles === 'public' || o.roles.includes(caller)).map((o) => o.name);
    const runs = [
      {
        what: 'its own operations',
        selection: ['--include-name-regex', exactly(own)],
        phases: 'examples,coverage,fuzzing,stateful',
        maxExamples: MAX_EXAMPLES,
      },
      { what: 'the others', selection: ['--exclude-name-regex', exactly(own)], phases: 'examples,fuzzing', maxExamples: REFUSED_EXAMPLES },
    ];
    for (const { what, selection, ...depth } of runs) {
      if (interrupted) break;
      process.stdout.write(
        `\n▶ schemathesis as ${caller}, ${what} (${depth.phases}; max ${depth.maxExamples} examples per operation, seed ${SEED})\n`,
      );
      const began = Date.now();
      const { code, output } = await run(SCHEMATHESIS, schemathesisArgs(`${api.url}/openapi.json`, token, selection, depth));
      const cases = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
      outcomes.push({ caller, code, cases, seconds: (Date.now() - began) / 1000 });
    }
    await world.teardown();
    world = undefined;
  }
} finally {
  await world?.teardown();
  await database.drop();
  rmSync(scratch, { recursive: true, force: true });
}

const passed = outcomes.length === 2 * CALLERS.length && outcomes.every((o) => o.code === 0);
if (!passed && apiErrors.length > 0)
  process.stdout.write(`\nThe API's error log lines (first ${apiErrors.length}):\n${apiErrors.join('\n')}\n`);
process.stdout.write('\n| caller | cases | result | seconds |\n|---|---|---|---|\n');
for (const caller of CALLERS) {
  const runs = outcomes.filter((o) => o.caller === caller);
  const failed = runs.filter((o) => o.code !== 0);
  const result = runs.length === 0 ? 'not run' : failed.length === 0 ? 'passed' : `FAILED (exit ${failed.map((o) => o.code).join(', ')})`;
  const sum = (key: 'cases' | 'seconds') => runs.reduce((total, o) => total + o[key], 0);
  process.stdout.write(`| ${caller} | ${sum('cases')} | ${result} | ${sum('seconds').toFixed(0)} |\n`);
}
process.stdout.write(`fuzz: ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
process.exit(passed ? 0 : 1);
