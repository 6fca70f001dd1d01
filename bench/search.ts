/**
 * Student search at the bench's scale (100,000 students, or 1,000,000 with BENCH_SCALE=large),
 * with a varied-term workload drawn from the data itself: last and first names, two-letter
 * prefixes, exact student ids and their prefixes, programmes, statuses (`active` matches four
 * students in five), full names and words that match nothing.
 *
 * Rows: the five k6 terms (cached, as deployed); the varied terms picked at random (cached as
 * deployed; the hit rate, read from the API's own cache counter, is in the notes); every request a
 * key never asked before (uncached: each one reaches Postgres), by 32 closed-loop connections
 * (throughput at saturation, latency mostly the queue) and arriving at a fixed rate below it (open
 * loop: the latency a search sees; BENCH_SEARCH_OPEN_RATE, default half the closed loop's
 * throughput of the same run), with CPU per answer; and beside them the statements
 * alone, each term once over one connection (no HTTP, no cache, no queueing): the database's
 * part, whose worst terms are named; and the same for every two-letter prefix (`aa` to `zz`).
 */
import type { Knex } from 'knex';
import { createKnex } from '../core/db.js';
import { METRIC } from '../core/metric-names.js';
import { parseStudentSearch, searchStudents } from '../api/students/search.js';
import { backendCpu, cpuBetween, cpuMs } from './api-process.js';
import { measure, percentile, pick, row, type BenchContext, type BenchRow, type Measured } from './harness.js';
import { measureOpenLoop } from './open-loop.js';

const K6_TERMS = ['john', 'smith', 'CS2023', 'engineering', 'active'];

/** Terms a registry desk types, drawn from the students (a fixed sample, so runs compare). */
export async function variedSearchTerms(knex: Knex): Promise<string[]> {
  const sample = `(select * from students where deleted_at is null order by md5(id::text) limit 5000) s`;
  const column = async (sql: string): Promise<string[]> => (await knex.raw<{ rows: { t: string }[] }>(sql)).rows.map((r) => r.t);
  // Distinct values in a hashed order: `select distinct … limit n` returns the first n
  // alphabetically (all 150 last names began with a or b), the cheap end of the name-order walks.
  const distinct = (expression: string, n: number) =>
    column(`select t from (select distinct ${expression} as t from ${sample}) d order by md5(t) limit ${n}`);
  const terms = [
    ...(await distinct('lower(last_name)', 150)),
    ...(await distinct('lower(first_name)', 150)),
    ...(await distinct('lower(substr(last_name, 1, 2))', 80)),
    ...(await distinct('lower(substr(first_name, 1, 3))', 60)),
    ...(await column(`select student_id as t from ${sample} limit 60`)),
    ...(await distinct('lower(substr(student_id, 1, 6))', 30)),
    ...(await column(`select first_name || ' ' || last_name as t from ${sample} limit 60`)),
    ...(await column(`select first_name || ' ' || substr(last_name, 1, 3) as t from ${sample} limit 30`)),
    ...(await column(`select distinct programme as t from students limit 20`)),
    // The generator's most common last names (1 % of students each), named outright: the hashed
    // sample may miss them, and the late ones (`smith`, `williams`) once walked most of the name order.
    'garcia',
    'lee',
    'smith',
    'taylor',
    'williams',
    'wilson',
    // Prefixes whose students cluster late in the name order (their last names), the slowest of
    // the two-letter prefixes before the prefix tier read where the last names begin (`pf` walked
    // 697,000 entries), and the slowest after it (first names spread thinly: `ot`, `hu`).
    'cz',
    'pf',
    'ng',
    'kn',
    'rit',
    'zu',
    'ot',
    'on',
    'hu',
    'ky',
    'active',
    'graduated',
    'suspended',
    'withdrawn',
    ...Array.from({ length: 20 }, (_, i) => `zqx${i}`),
  ];
  return [...new Set(terms)];
}

/** Every two-letter prefix, `aa` to `zz`: the broadest terms short of one letter, wherever their names fall in the order. */
export const TWO_LETTER_PREFIXES = [...'abcdefghijklmnopqrstuvwxyz'].flatMap((a, _, letters) => letters.map((b) => a + b));

/** Look-ups of one cache namespace so far, from the API's Prometheus counter. */
async function cacheCounts(apiUrl: string, namespace: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  let hits = 0;
  let misses = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${METRIC.cacheRequests}{`) || !line.includes(`cache="${namespace}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.includes('result="hit"')) hits += value;
    else misses += value;
  }
  return { hits, misses };
}

async function withHitRate(apiUrl: string, run: () => Promise<Measured>): Promise<{ measured: Measured; hitRate: number }> {
  const before = await cacheCounts(apiUrl, 'student-search');
  const measured = await run();
  const after = await cacheCounts(apiUrl, 'student-search');
  const hits = after.hits - before.hits;
  const lookups = hits + after.misses - before.misses;
  return { measured, hitRate: lookups ? hits / lookups : 0 };
}

/**
 * A load with the CPU each answer cost the API and the Postgres backends of the bench database
 * (from /proc): CPU per answer moves far less with the machine's load than latency does.
 */
async function withCost<T extends { measured: Measured }>(
  ctx: BenchContext,
  knex: Knex,
  run: () => Promise<T>,
): Promise<T & { cost: string }> {
  const apiBefore = cpuMs(ctx.apiPid);
  const postgresBefore = await backendCpu(knex);
  const result = await run();
  const postgres = cpuBetween(postgresBefore, await backendCpu(knex));
  const apiAfter = cpuMs(ctx.apiPid);
  const per = (ms: number) => (ms / Math.max(result.measured.total, 1)).toFixed(2);
  const api = apiBefore !== undefined && apiAfter !== undefined ? `API ${per(apiAfter - apiBefore)}, ` : '';
  return { ...result, cost: `CPU per answer: ${api}Postgres ${per(postgres)} ms` };
}

/** Each term once, one at a time, straight through the search module: the database's part. */
async function statementsAlone(knex: Knex, terms: string[]): Promise<{ measured: Measured; worst: string; max: number }> {
  const times: { term: string; ms: number }[] = [];
  const started = performance.now();
  for (const term of terms) {
    const search = parseStudentSearch(term)!;
    const t0 = performance.now();
    await searchStudents(knex, search, 20);
    times.push({ term, ms: performance.now() - t0 });
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
  const worst = [...times]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((t) => `'${t.term}' ${t.ms.toFixed(1)} ms`)
    .join(', ');
  return {
    measured: {
      rps: terms.length / seconds,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      errors: 0,
      total: terms.length,
    },
    worst,
    max: sorted.at(-1) ?? 0,
  };
}

export async function benchSearch(ctx: BenchContext): Promise<BenchRow[]> {
  const knex = createKnex(ctx.databaseUrl, 2, 0);
  const base = { duration: ctx.durationSeconds, connections: ctx.connections, headers: { authorization: `Bearer ${ctx.tokens.staff}` } };
  const path = (term: string, limit = 20) => `/students/search?q=${encodeURIComponent(term)}&limit=${limit}`;
  try {
    const terms = await variedSearchTerms(knex);
    const [{ n: students }] = (await knex('students').whereNull('deleted_at').count('* as n')) as [{ n: number }];
    const scale = `${Number(students).toLocaleString('en-GB')} students`;
    ctx.log(`search: ${terms.length} distinct terms over ${scale}`);
    // The database's part first, before the HTTP runs below warm anything for it.
    const alone = await statementsAlone(knex, terms);
    const prefixes = await statementsAlone(knex, TWO_LETTER_PREFIXES);

    const k6 = await withHitRate(ctx.apiUrl, () =>
      measure({ ...base, url: ctx.apiUrl, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(pick(K6_TERMS)) }) }] }),
    );
    const varied = await withHitRate(ctx.apiUrl, () =>
      measure({ ...base, url: ctx.apiUrl, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(pick(terms)) }) }] }),
    );
    // Never the same (term, limit) twice, and never the limit of 20 the rows above used: every
    // request is a cache miss and reaches Postgres. One counter for both uncached rows.
    let n = 0;
    const newKey = () => {
      const i = n++;
      return path(terms[i % terms.length]!, 21 + (Math.floor(i / terms.length) % 79));
    };
    const uncached = await withCost(ctx, knex, () =>
      withHitRate(ctx.apiUrl, () =>
        measure({ ...base, url: ctx.apiUrl, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: newKey() }) }] }),
      ),
    );
    // The same requests arriving at a fixed rate below what the closed loop saturated at: the
    // latency one uncached search sees, not the queue of 32 connections (bench/open-loop.ts).
    const openRate = Number(process.env.BENCH_SEARCH_OPEN_RATE ?? Math.max(10, Math.round(uncached.measured.rps / 2)));
    const open = await withCost(ctx, knex, () =>
      withHitRate(ctx.apiUrl, () =>
        measureOpenLoop({ url: ctx.apiUrl, rate: openRate, durationSeconds: ctx.durationSeconds, headers: base.headers, path: newKey }),
      ),
    );
    const ceiling = 'statements alone, each term once, one connection';
    const hit = (r: number) => `cache hit rate ${(r * 100).toFixed(0)} %`;
    return [
      row(`GET /students/search (5 k6 terms, cached), ${scale}`, k6.measured, ceiling, alone.measured, hit(k6.hitRate)),
      row(`GET /students/search (${terms.length} varied terms), ${scale}`, varied.measured, ceiling, alone.measured, hit(varied.hitRate)),
      row(
        `GET /students/search (uncached: every key new, 32 connections closed-loop), ${scale}`,
        uncached.measured,
        ceiling,
        alone.measured,
        `${hit(uncached.hitRate)}; ${uncached.cost}`,
      ),
      row(
        `GET /students/search (uncached: every key new, open loop at ${openRate} req/s), ${scale}`,
        open.measured,
        ceiling,
        alone.measured,
        `${hit(open.hitRate)}; ${open.cost}; arrivals evenly spaced, latency from each one's scheduled arrival`,
      ),
      row(
        `search statements alone (${terms.length} terms once, serial), ${scale}`,
        alone.measured,
        ceiling,
        alone.measured,
        `p95 ${alone.measured.p95.toFixed(1)} ms, max ${alone.max.toFixed(1)} ms; slowest: ${alone.worst}`,
      ),
      row(
        `search statements alone (${TWO_LETTER_PREFIXES.length} two-letter prefixes aa..zz once, serial), ${scale}`,
        prefixes.measured,
        ceiling,
        alone.measured,
        `p95 ${prefixes.measured.p95.toFixed(1)} ms, max ${prefixes.max.toFixed(1)} ms; slowest: ${prefixes.worst}`,
      ),
    ];
  } finally {
    await knex.destroy();
  }
}
