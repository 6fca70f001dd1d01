/**
 * The work each search does in Postgres, beside its time: the shared buffers (hit + read) of every
 * statement one search runs, summed, from `EXPLAIN (ANALYZE, BUFFERS)` of each statement after it
 * ran. Buffers hardly move with the machine's load, so two versions of the search compare on a
 * busy machine where their times do not; the times are taken too, each term's two versions back to
 * back (in alternating order), and their answers compared.
 *
 *     npx tsx bench/search-work.ts                      # every two-letter prefix aa..zz, BENCH_SCALE's database
 *     npx tsx bench/search-work.ts --varied             # the bench's varied terms (bench/search.ts)
 *     npx tsx bench/search-work.ts cz pf 'john smi'     # these terms
 *
 * `SEARCH_BEFORE=<module>` sets an older search beside the current one, e.g.
 * `git show <commit>:api/students/search.ts > api/students/search-before.ts` and
 * `SEARCH_BEFORE=../api/students/search-before.js` (a path from bench/; not to be committed).
 * BENCH_ADMIN_URL and BENCH_DATABASE as for `npm run bench`.
 */
import type { Knex } from 'knex';
import { createKnex } from '../core/db.js';
import * as current from '../api/students/search.js';
import { benchScale } from './scale.js';
import { percentile } from './harness.js';
import { TWO_LETTER_PREFIXES, variedSearchTerms } from './search.js';

type SearchModule = Pick<typeof current, 'parseStudentSearch' | 'searchStudents'>;
interface Sample {
  term: string;
  buffers: number;
  statements: number;
  ms: number;
  ids: string;
}
type ExplainedPlan = { Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } };

/** A knex whose `raw` also explains each statement it ran, adding its buffers to `tally`. */
function explaining(knex: Knex, tally: { buffers: number; statements: number }): Knex {
  return new Proxy(knex, {
    get(target, property, receiver) {
      if (property !== 'raw') return Reflect.get(target, property, receiver) as unknown;
      return async (sql: string, bindings?: readonly Knex.RawBinding[]) => {
        const result = await target.raw(sql, bindings ?? []);
        // The planner statistics read (at most every ten minutes) is not the search's own work.
        if (sql.includes('pg_stats')) return result;
        const statement = target.raw(sql, bindings ?? []).toQuery();
        const { rows } = await target.raw<{ rows: { 'QUERY PLAN': ExplainedPlan[] }[] }>(
          `explain (analyze, buffers, format json) ${statement}`,
        );
        const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
        tally.buffers += plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
        tally.statements++;
        return result;
      };
    },
  });
}

async function sample(knex: Knex, search: SearchModule, term: string): Promise<Sample> {
  const parsed = search.parseStudentSearch(term)!;
  const started = performance.now();
  const found = await search.searchStudents(knex, parsed, 20);
  const ms = performance.now() - started;
  const tally = { buffers: 0, statements: 0 };
  await search.searchStudents(explaining(knex, tally), parsed, 20);
  return { term, ms, ids: found.map((r) => r.id).join(','), ...tally };
}

function summary(name: string, samples: Sample[]): string {
  const buffers = samples.map((s) => s.buffers).sort((a, b) => a - b);
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const worst = [...samples]
    .sort((a, b) => b.buffers - a.buffers)
    .slice(0, 8)
    .map((s) => `${s.term} ${s.buffers}`)
    .join(', ');
  return [
    `${name}: ${samples.length} terms; buffers p50 ${percentile(buffers, 50)}, p95 ${percentile(buffers, 95)}, p99 ${percentile(buffers, 99)}, max ${buffers.at(-1)}, total ${buffers.reduce((a, b) => a + b, 0)}`,
    `  ms p50 ${percentile(ms, 50).toFixed(1)}, p95 ${percentile(ms, 95).toFixed(1)}, p99 ${percentile(ms, 99).toFixed(1)}, max ${ms.at(-1)!.toFixed(1)}`,
    `  most buffers: ${worst}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const url = new URL(process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${process.env.BENCH_DATABASE ?? benchScale().database}`;
  const knex = createKnex(url.toString(), 2, 0);
  try {
    const args = process.argv.slice(2);
    const terms = args[0] === '--varied' ? await variedSearchTerms(knex) : args.length ? args : TWO_LETTER_PREFIXES;
    const before = process.env.SEARCH_BEFORE ? ((await import(process.env.SEARCH_BEFORE)) as SearchModule) : undefined;
    const load = (await import('node:os')).loadavg;
    console.log(`${terms.length} terms on ${url.pathname.slice(1)}, load ${load()[0]!.toFixed(1)}`);
    const samples: { current: Sample[]; before: Sample[] } = { current: [], before: [] };
    let differing = 0;
    for (const [i, term] of terms.entries()) {
      if (!before) {
        samples.current.push(await sample(knex, current, term));
        continue;
      }
      // Alternating which goes first, so neither always finds the other's pages in the cache.
      const beforeFirst = i % 2 === 1;
      const first = await sample(knex, beforeFirst ? before : current, term);
      const second = await sample(knex, beforeFirst ? current : before, term);
      const [old, now] = beforeFirst ? [first, second] : [second, first];
      samples.before.push(old);
      samples.current.push(now);
      if (old.ids !== now.ids) {
        differing++;
        console.log(`different answers for '${term}'`);
      }
    }
    if (before) console.log(summary('before', samples.before));
    console.log(summary(before ? 'after' : 'current', samples.current));
    if (before) console.log(`answers different for ${differing} of ${terms.length} terms`);
    console.log(`load ${load()[0]!.toFixed(1)}`);
  } finally {
    await knex.destroy();
  }
}

await main();
