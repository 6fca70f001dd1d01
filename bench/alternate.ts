/**
 * `npx tsx bench/alternate.ts health|verify [rounds]`: two builds of the API and bare Koa, started
 * side by side and loaded in turn (the order reversed every round), so a before/after pair shares
 * the machine's load as closely as a shared machine allows. Each run prints req/s, p95/p99 and the
 * CPU per request of the API process, of the Postgres backends of the bench database and of the
 * Redis server (all from /proc), and the Redis script calls per request (`INFO commandstats`, the
 * whole server's), beside the load average.
 *
 * ALTERNATE_BEFORE names the other build's `dist/api/main.js` (e.g. a commit compiled elsewhere,
 * docs/perf/README.md "Making one"); BENCH_DATABASE (default pp_bench_hotpath), BENCH_DURATION
 * (seconds per run, default 5), BENCH_CONNECTIONS (default 32). `verify` issues 300 passes through
 * each API first; bare Koa runs in the first round only there.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import knexFactory from 'knex';
import {
  COMPILED_API,
  cpuMs,
  ensureCompiledApi,
  loginToken,
  startApiProcess,
  startCeilingProcess,
  stopApiProcess,
  type ApiProcess,
} from './api-process.js';
import { measure, pick, type LoadOptions } from './harness.js';

const target = process.argv[2];
if (target !== 'health' && target !== 'verify') {
  console.error('usage: tsx bench/alternate.ts health|verify [rounds]');
  process.exit(2);
}
const before = process.env.ALTERNATE_BEFORE;
if (!before) {
  console.error('ALTERNATE_BEFORE must name the other build (its dist/api/main.js)');
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 3);
const seconds = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const database = process.env.BENCH_DATABASE ?? 'pp_bench_hotpath';
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (m: string) => console.log(`[alternate] ${m}`);

const redis = new Redis(redisUrl);
const admin = knexFactory({ client: 'pg', connection: 'postgres://postgres@127.0.0.1:5432/postgres', pool: { min: 1, max: 1 } });
const redisPid = Number(execFileSync('pgrep', ['-o', 'redis-server']).toString().trim());

const scriptCalls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
/** CPU of each Postgres backend connected to the bench database (the APIs' pools), by process id. */
async function postgresCpuMs(): Promise<Map<number, number>> {
  const { rows } = (await admin.raw('select pid from pg_stat_activity where datname = ?', [database])) as { rows: { pid: number }[] };
  return new Map(rows.map((row) => [row.pid, cpuMs(row.pid) ?? 0]));
}

/** CPU the backends used between two readings; one that closed or opened in between is left out (its total is not known). */
function postgresCpuBetween(from: Map<number, number>, to: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of to) {
    const earlier = from.get(pid);
    if (earlier !== undefined) sum += ms - earlier;
  }
  return sum;
}

/** Passes issued through the API (its own signing key), then verifications alternating entry and exit. */
async function verifyLoad(api: ApiProcess): Promise<LoadOptions> {
  const staff = await loginToken(api.url, 'staff@university.edu');
  const security = await loginToken(api.url, 'security@university.edu');
  const knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 1 } });
  const students = (await knex('students').where({ status: 'active' }).whereNull('deleted_at').limit(300).pluck('id')) as string[];
  await knex.destroy();
  const codes: string[] = [];
  for (const studentId of students) {
    const res = await fetch(`${api.url}/passes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/json' },
      body: JSON.stringify({ studentId, validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString() }),
    });
    const body = (await res.json()) as { data: { code: string } };
    if (res.status === 201) codes.push(body.data.code);
  }
  const last = new Map<string, string>();
  return {
    url: api.url,
    headers: { authorization: `Bearer ${security}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/passes/verify',
        setupRequest: (req) => {
          const code = pick(codes);
          const direction = last.get(code) === 'entry' ? 'exit' : 'entry';
          last.set(code, direction);
          return { ...req, body: JSON.stringify({ code, gate: pick(['main-gate', 'north-gate', 'library']), direction }) };
        },
      },
    ],
  };
}

ensureCompiledApi(log);
const runs: { name: string; api: ApiProcess; load: LoadOptions }[] = [];
try {
  for (const [name, entry] of [
    ['before', before],
    ['after', COMPILED_API],
  ] as const) {
    const api = await startApiProcess({ databaseUrl, redisUrl, redisKeyPrefix: `pp:alternate:${name}:`, entry });
    runs.push({ name, api, load: target === 'verify' ? await verifyLoad(api) : { url: `${api.url}/health` } });
  }
  const ceiling = await startCeilingProcess(databaseUrl);
  runs.push({ name: 'bare', api: ceiling, load: { url: `${ceiling.url}/json` } });
  for (let round = 0; round < rounds; round++) {
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      if (target === 'verify' && run.name === 'bare' && round > 0) continue;
      const [cpu, pg, rd, calls] = [cpuMs(run.api.child.pid) ?? 0, await postgresCpuMs(), cpuMs(redisPid) ?? 0, await scriptCalls()];
      const m = await measure({ ...run.load, duration: seconds, connections });
      const per = (ms: number) => ((ms * 1000) / m.total).toFixed(1);
      log(
        `round ${round} ${run.name.padEnd(6)} ${m.rps.toFixed(0).padStart(6)} req/s, p95 ${m.p95.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ` +
          `${m.errors} errors; CPU per request: API ${per((cpuMs(run.api.child.pid) ?? 0) - cpu)} µs, Postgres ${per(postgresCpuBetween(pg, await postgresCpuMs()))} µs, ` +
          `Redis ${per((cpuMs(redisPid) ?? 0) - rd)} µs; script calls per request ${(((await scriptCalls()) - calls) / m.total).toFixed(3)}; load ${(loadavg()[0] ?? 0).toFixed(1)}`,
      );
    }
  }
} finally {
  for (const run of runs) await stopApiProcess(run.api);
  redis.disconnect();
  await admin.destroy();
}
