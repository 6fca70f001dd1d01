/**
 * `npx tsx bench/profile.ts <target> [name]`: a CPU profile of the compiled API under load on one
 * path, and its flame graph. Targets: `health` (GET /health, every middleware), `verify` (POST
 * /passes/verify with valid codes alternating entry and exit), `qr` (GET /passes/:id/qr, PNG),
 * `analytics` (GET /analytics/verifications, a range never asked before each time: uncached; run
 * it with BENCH_DATABASE=pp_bench_large for 10,000,000 access logs), `student` (GET /students/:id,
 * ids at random), `issue` (POST /passes, the mixed bench's pass generation), and `bare-koa` (the bench's
 * ceiling, bench/ceiling-server.ts, on its JSON route: the CPU per request `health` is compared with).
 * The API runs as the bench runs it (bench/api-process.ts) with `node --cpu-prof`; autocannon
 * drives it for PROFILE_SECONDS (default 10) with BENCH_CONNECTIONS (default 32), at most PROFILE_RATE
 * requests a second when set (to compare two builds at the same rate); SIGTERM writes
 * the profile. Output: .bench/profiles/<name>.cpuprofile and .folded, and docs/perf/<name>.svg
 * when `inferno-flamegraph` is on the PATH (docs/perf/README.md says which version).
 * PROFILE_ENTRY profiles another build (e.g. the code before a change, compiled elsewhere).
 * Needs the bench database (`npm run bench` once creates and seeds it).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory from 'knex';
import {
  COMPILED_API,
  ROOT,
  cpuMs,
  ensureCompiledApi,
  loginToken,
  startApiProcess,
  startCeilingProcess,
  stopApiProcess,
} from './api-process.js';
import { foldStacks, monotonicMicros, readProfile, samplesWithin, type SampleWindow } from './cpuprofile.js';
import { uncachedAnalyticsRequest } from './analytics.js';
import { measure, passGenerationRequest, pick, type LoadOptions } from './harness.js';

const TARGETS = ['health', 'verify', 'qr', 'analytics', 'student', 'issue', 'bare-koa'] as const;
type Target = (typeof TARGETS)[number];

const target = process.argv[2] as Target | undefined;
if (!target || !TARGETS.includes(target)) {
  console.error(`usage: tsx bench/profile.ts ${TARGETS.join('|')} [name]`);
  process.exit(2);
}
const name = process.argv[3] ?? target;
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
// A fixed offered rate (req/s): the CPU per request falls as the rate rises (batches fill, fixed
// costs spread), so two builds compare fairly only at the same rate, which a busy machine's
// closed-loop load does not give them.
const RATE = process.env.PROFILE_RATE ? Number(process.env.PROFILE_RATE) : undefined;
const log = (m: string) => console.log(`[profile] ${m}`);

const databaseUrl = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${process.env.BENCH_DATABASE ?? 'pp_bench'}`;
  return url.toString();
})();
const HOUR = 3_600_000;

/** Issues passes through the API (its signing key is this run's), for the codes and ids the load uses. */
async function issuePasses(apiUrl: string, staffToken: string, count: number): Promise<{ id: string; code: string }[]> {
  const knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 1 } });
  const students = (await knex('students').where({ status: 'active' }).whereNull('deleted_at').limit(count).pluck('id')) as string[];
  await knex.destroy();
  const passes: { id: string; code: string }[] = [];
  for (const studentId of students) {
    const res = await fetch(`${apiUrl}/passes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staffToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ studentId, validUntil: new Date(Date.now() + 30 * 24 * HOUR).toISOString() }),
    });
    const body = (await res.json()) as { data: { id: string; code: string } };
    if (res.status === 201) passes.push({ id: body.data.id, code: body.data.code });
  }
  if (passes.length === 0) throw new Error('no pass could be issued');
  return passes;
}

async function load(apiUrl: string): Promise<LoadOptions> {
  const base = { url: apiUrl, duration: SECONDS, connections: CONNECTIONS, ...(RATE ? { overallRate: RATE } : {}) };
  if (target === 'health') return { ...base, url: `${apiUrl}/health` };
  if (target === 'bare-koa') return { ...base, url: `${apiUrl}/json` };
  const staff = await loginToken(apiUrl, 'staff@university.edu');
  if (target === 'analytics') return { ...base, headers: { authorization: `Bearer ${staff}` }, requests: [uncachedAnalyticsRequest()] };
  if (target === 'student' || target === 'issue') {
    const knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 1 } });
    const ids = (await knex('students').where({ status: 'active' }).whereNull('deleted_at').limit(2000).pluck('id')) as string[];
    await knex.destroy();
    const headers = { authorization: `Bearer ${staff}`, 'content-type': 'application/json' };
    if (target === 'issue') return { ...base, headers, requests: [passGenerationRequest(ids)] };
    return { ...base, headers, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/students/${pick(ids)}` }) }] };
  }
  const passes = await issuePasses(apiUrl, staff, 500);
  if (target === 'qr') {
    return {
      ...base,
      headers: { authorization: `Bearer ${staff}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/passes/${pick(passes).id}/qr?format=png` }) }],
    };
  }
  const security = await loginToken(apiUrl, 'security@university.edu');
  const lastDirection = new Map<string, string>();
  return {
    ...base,
    headers: { authorization: `Bearer ${security}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/passes/verify',
        setupRequest: (req) => {
          const { code } = pick(passes);
          const direction = lastDirection.get(code) === 'entry' ? 'exit' : 'entry';
          lastDirection.set(code, direction);
          return { ...req, body: JSON.stringify({ code, gate: 'main-gate', direction }) };
        },
      },
    ],
  };
}

const entry = process.env.PROFILE_ENTRY;
if (!entry) ensureCompiledApi(log);
const dir = join(ROOT, '.bench/profiles', name);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const profiling = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
const api =
  target === 'bare-koa'
    ? await startCeilingProcess(databaseUrl, profiling)
    : await startApiProcess({
        databaseUrl,
        redisUrl: REDIS_URL,
        redisKeyPrefix: `pp:profile:${name}:`,
        nodeFlags: profiling,
        entry: entry ?? COMPILED_API,
      });
let loadWindow: SampleWindow | undefined;
try {
  const options = await load(api.url);
  log(`${target}: ${SECONDS} s, ${CONNECTIONS} connections`);
  const cpuBefore = cpuMs(api.child.pid);
  const fromUs = monotonicMicros();
  const result = await measure(options);
  loadWindow = { fromUs, toUs: monotonicMicros() };
  const cpuAfter = cpuMs(api.child.pid);
  // CPU per request moves far less with the machine's load than req/s does (Linux /proc; profiling adds its share).
  const perRequest =
    cpuBefore !== undefined && cpuAfter !== undefined
      ? `, API CPU ${(((cpuAfter - cpuBefore) * 1000) / result.total).toFixed(0)} µs/request`
      : '';
  log(
    `${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors${perRequest} (profiling slows it)`,
  );
} finally {
  await stopApiProcess(api);
}
const [written] = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
if (!written) throw new Error(`no profile in ${dir}`);
const profilePath = join(ROOT, '.bench/profiles', `${name}.cpuprofile`);
renameSync(join(dir, written), profilePath);
// The flame graph shows the load alone: the set-up before it (start-up, passes issued and their
// QR codes rendered) would otherwise take a third of a verify profile. The whole run is folded too.
const profile = readProfile(profilePath);
const folded = join(ROOT, '.bench/profiles', `${name}.folded`);
writeFileSync(folded, foldStacks(loadWindow ? samplesWithin(profile, loadWindow) : profile));
writeFileSync(join(ROOT, '.bench/profiles', `${name}.whole.folded`), foldStacks(profile));
log(`profile: ${profilePath}; folded stacks of the load: ${folded} (of the whole run: ${name}.whole.folded)`);
const svg = join(ROOT, 'docs/perf', `${name}.svg`);
mkdirSync(join(ROOT, 'docs/perf'), { recursive: true });
const out = openSync(svg, 'w');
const rendered = spawnSync(
  'inferno-flamegraph',
  ['--title', `${name}: ${target}, ${SECONDS} s under load`, '--width', '1600', '--minwidth', '0.1', folded],
  {
    stdio: ['ignore', out, 'inherit'],
  },
);
closeSync(out);
if (rendered.status === 0) log(`flame graph: ${svg}`);
else {
  rmSync(svg, { force: true });
  log('inferno-flamegraph did not run: no SVG (docs/perf/README.md says how to install it)');
}
