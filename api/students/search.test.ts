/**
 * Search ordering on a fixed corpus, through the real route (validation, cache, Postgres FTS):
 * exact student id first, whole-word name matches before prefixes, ties by name then id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../../testing/api.js';
import { seedStudents } from '../../scripts/seed.js';
import { parseStudentSearch, rankedSearchStatement, searchStudents } from './search.js';

interface Person {
  studentId: string;
  first: string;
  last: string;
  /** E-mails are neutral unless a case needs one to match. */
  email?: string;
}

const CORPUS: Person[] = [
  { studentId: 'CS2023000001', first: 'John', last: 'Smith' },
  { studentId: 'CS20230000011', first: 'Priya', last: 'Patel' },
  { studentId: 'CS2023000002', first: 'John', last: 'Adams' },
  { studentId: 'CS2023000003', first: 'Ann', last: 'John' },
  { studentId: 'CS2023000004', first: 'Drake', last: 'Johns-Schumm' },
  { studentId: 'CS2023000005', first: 'Mary', last: 'Johnson' },
  { studentId: 'CS2023000006', first: 'Johnny', last: 'Walker' },
  { studentId: 'CS2023000007', first: 'Peter', last: 'Mayer', email: 'john.peter@university.edu' },
  { studentId: 'CS2023000008', first: 'Johnny', last: 'Smith' },
  { studentId: 'CS2023000009', first: 'John', last: 'Smithers' },
  { studentId: 'EN2024000003', first: 'Wei', last: 'Chen' },
  { studentId: 'EN2024000001', first: 'Wei', last: 'Chen' },
  { studentId: 'EN2024000002', first: 'Wei', last: 'Chen' },
];

/** Carries plans out of a transaction that must be rolled back. */
class ExplainedPlans extends Error {
  constructor(readonly plans: string[]) {
    super('explained');
  }
}

/** Students the generator makes for the second suite. */
const SEEDED = 3_000;

const names = (results: { firstName: string; lastName: string }[]) => results.map((r) => `${r.firstName} ${r.lastName}`);

describe('student search ordering', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let token: string;

  const search = async (q: string, limit = 20) => {
    const res = await call(api.url, 'GET', `/students/search?q=${encodeURIComponent(q)}&limit=${limit}`, { token });
    assert.equal(res.status, 200);
    return res.body.data.results as { firstName: string; lastName: string; studentId: string; match: string }[];
  };

  before(async () => {
    env = await createTestEnvironment('student-search');
    api = await env.start();
    token = await env.tokenFor('staff');
    await env.knex('students').insert(
      CORPUS.map((p, i) => ({
        student_id: p.studentId,
        first_name: p.first,
        last_name: p.last,
        email: p.email ?? `student${i}@university.edu`,
        programme: 'computer-science',
        year_of_study: 1,
      })),
    );
  });
  after(() => env.teardown());

  it('puts whole-word name matches before a word elsewhere, and both before prefixes', async () => {
    const results = await search('john');
    // Whole word in the name, ties by last name: Adams, John, Smith, Smithers.
    assert.deepEqual(names(results.slice(0, 4)), ['John Adams', 'Ann John', 'John Smith', 'John Smithers']);
    assert.deepEqual(
      results.slice(0, 4).map((r) => r.match),
      ['name', 'name', 'name', 'name'],
    );
    // A whole word only in the e-mail comes next.
    assert.deepEqual(names(results.slice(4, 5)), ['Peter Mayer']);
    assert.equal(results[4]?.match, 'word');
    // Then the prefixes, never before a whole word.
    assert.deepEqual(new Set(names(results.slice(5))), new Set(['Drake Johns-Schumm', 'Mary Johnson', 'Johnny Walker', 'Johnny Smith']));
    assert.ok(results.slice(5).every((r) => r.match === 'prefix'));
  });

  it('ranks the student whose id was typed exactly first, before ids it is a prefix of', async () => {
    const results = await search('cs2023000001');
    assert.deepEqual(
      results.map((r) => r.studentId),
      ['CS2023000001', 'CS20230000011'],
    );
    assert.deepEqual(
      results.map((r) => r.match),
      ['studentId', 'prefix'],
    );
  });

  it('counts whole words: both words whole beats one whole and one prefix', async () => {
    const results = await search('john smith');
    assert.deepEqual(names(results), ['John Smith', 'Johnny Smith', 'John Smithers']);
  });

  it('breaks ties between identical names by student id, the same on every call', async () => {
    const first = await search('wei chen');
    assert.deepEqual(
      first.map((r) => r.studentId),
      ['EN2024000001', 'EN2024000002', 'EN2024000003'],
    );
    // A narrower page is the head of the same order.
    const page = await search('wei chen', 2);
    assert.deepEqual(
      page.map((r) => r.studentId),
      ['EN2024000001', 'EN2024000002'],
    );
  });
});

describe('student search over generated students (the seed generator)', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let token: string;

  before(async () => {
    env = await createTestEnvironment('student-search-seeded');
    api = await env.start();
    token = await env.tokenFor('staff');
    await seedStudents(env.knex, SEEDED);
  });
  after(() => env.teardown());

  it('shows Johns for `john`, and a page of different people, not one name repeated', async () => {
    const res = await call(api.url, 'GET', '/students/search?q=john&limit=20', { token });
    const results = res.body.data.results as { firstName: string; lastName: string; match: string }[];
    assert.equal(results.length, 20);
    assert.ok(
      results.every((r) => r.match === 'name' && [r.firstName, r.lastName].includes('John')),
      names(results).join(', '),
    );
    assert.ok(new Set(names(results)).size >= 15, `distinct names on the page: ${new Set(names(results)).size}`);
  });

  it('generates varied names: no full name is shared by more than a handful of students', async () => {
    const { rows } = await env.knex.raw<{ rows: { distinct: number; top: number }[] }>(
      `select count(distinct (first_name, last_name))::int as distinct,
              (select count(*) from students group by first_name, last_name order by 1 desc limit 1)::int as top
         from students`,
    );
    assert.ok(rows[0]!.distinct >= SEEDED * 0.9, `distinct full names ${rows[0]!.distinct} of ${SEEDED}`);
    assert.ok(rows[0]!.top <= 5, `the most common full name is shared by ${rows[0]!.top}`);
  });

  /** The plans of a search's statements, on the seeded table without (some of) the indexes every live row is in. */
  async function plansOf(text: string, alsoDrop: string[] = []): Promise<string[]> {
    const parsed = parseStudentSearch(text);
    assert.ok(parsed);
    await env.knex.raw('analyze students');
    return env.knex
      .transaction(async (trx) => {
        // A few thousand rows are cheaper to read whole, or along the partial indexes that cover
        // every live row, than through any search. Without those (dropped inside this transaction,
        // which is rolled back) and without the plain scan, what is left is what the search
        // conditions themselves can use, as the planner does on a full-size table.
        await trx.raw(`drop index ${['idx_students_created', 'idx_students_programme_status', ...alsoDrop].join(', ')}`);
        await trx.raw('set local enable_seqscan = off');
        const { sql, bindings } = rankedSearchStatement(parsed, 20);
        const explained = (await trx.raw(`explain ${sql}`, bindings)) as { rows: { 'QUERY PLAN': string }[] };
        throw new ExplainedPlans([explained.rows.map((r) => r['QUERY PLAN']).join('\n')]);
      })
      .catch((e: unknown) => {
        if (e instanceof ExplainedPlans) return e.plans;
        throw e;
      });
  }

  it('finds the rows of several words through the GIN index, not by scanning the table', async () => {
    // The tiers' partial btrees (lower-case ids, id prefixes, the name order, lower-case last names) also cover every live row.
    const [plan, ...more] = await plansOf('john smi', [
      'idx_students_student_id_lower',
      'idx_students_student_id_prefix',
      'idx_students_name_order',
      'idx_students_last_name_lower',
    ]);
    assert.equal(more.length, 0);
    assert.match(plan!, /Bitmap Index Scan on idx_students_search_gin/);
    assert.doesNotMatch(plan!, /Seq Scan on students/);
  });

  /** Each query at four page sizes and each threshold gives exactly the rows ranking every match gives. */
  async function assertTiersRankAsEveryMatch(queries: string[], thresholds: number[]): Promise<void> {
    for (const query of queries) {
      const parsed = parseStudentSearch(query)!;
      for (const limit of [1, 7, 20, 100]) {
        const { sql, bindings } = rankedSearchStatement(parsed, limit);
        const expected = ((await env.knex.raw(sql, bindings)) as { rows: { id: string }[] }).rows.map((r) => r.id);
        for (const threshold of thresholds) {
          const found = await searchStudents(env.knex, parsed, limit, { threshold });
          assert.deepEqual(
            found.map((r) => r.id),
            expected,
            `'${query}', limit ${limit}, searches and tiers of more than ${threshold} candidates by tiers and walks`,
          );
        }
      }
    }
  }

  it('finds one word tier by tier exactly as ranking every match would, whether a tier is sorted or walked', async () => {
    const [someone] = (await env.knex('students').orderBy('student_id').limit(1).pluck('student_id')) as string[];
    // Broad (a status, a one-letter prefix), middling, rare, an exact id, and nothing at all.
    // Id prefixes too (a programme code, a programme and year): broad tiers walked without counting.
    const words = [
      'active',
      'a',
      'jo',
      'john',
      'smi',
      'graduated',
      someone!.toLowerCase(),
      someone!.toLowerCase().slice(0, 6),
      'cs',
      'zzqx',
    ];
    // 5,000: every search of this table is ranked whole; 10: by tiers, any of more than ten walked.
    await assertTiersRankAsEveryMatch(words, [5_000, 10]);
  });

  it('finds several words tier by tier exactly as ranking every match would', async () => {
    const [first] = (await env.knex('students').orderBy('student_id').limit(1).select('first_name', 'last_name')) as {
      first_name: string;
      last_name: string;
    }[];
    // All common and in no name (a programme, a status and a programme), a name and a prefix,
    // common prefixes, someone's full name, a word and a prefix of it, nothing.
    const queries = [
      'computer science',
      'active law',
      'john smi',
      'jo a',
      `${first!.first_name} ${first!.last_name}`,
      'a b',
      'engineering e',
      'zzqx john',
    ];
    // 5,000: ranked whole; 200 and 40: tiers sorted from their candidates or walked; 10: walked.
    await assertTiersRankAsEveryMatch(queries, [5_000, 200, 40, 10]);
  });
});

describe('student search of a common last name late in the name order', () => {
  let env: TestEnvironment;

  before(async () => {
    env = await createTestEnvironment('student-search-last-names');
    await seedStudents(env.knex, 500);
    // Thirty Zimmers (as the case comes), at the end of the name order like the Smiths of a large
    // table; then the tier's other rows, which sort before or among them: first names Zimmer, last
    // names of several words, a Zimmer whose student id is the word, one deleted.
    const people: (Person & { deleted?: boolean })[] = [
      ...Array.from({ length: 30 }, (_, i) => ({
        studentId: `ZM${String(i).padStart(4, '0')}`,
        first: ['Ann', 'Bo', 'Cy', 'Di', 'Ed'][i % 5]!,
        last: ['Zimmer', 'ZIMMER', 'zimmer'][i % 3]!,
      })),
      ...Array.from({ length: 12 }, (_, i) => ({ studentId: `ZF${String(i).padStart(4, '0')}`, first: 'Zimmer', last: `Aa${i}` })),
      { studentId: 'ZO0001', first: 'Eva', last: 'Zimmer-Abbott' },
      { studentId: 'ZO0002', first: 'Eva', last: 'van Zimmer' },
      { studentId: 'ZO0003', first: 'Zimmer', last: 'Zimmer' },
      { studentId: 'zimmer', first: 'Ann', last: 'Zimmer' },
      { studentId: 'ZD0001', first: 'Aaron', last: 'Zimmer', deleted: true },
      // For the prefix tier: longer last names in every case (past the case-varied first four
      // letters too), a non-ASCII initial in three cases, a first name with the prefix.
      ...['Zimmermann', 'ZIMMERMANN', 'zimmermann', 'ZimmerMann', 'ZiMmErMaNn', 'Zimmerli'].map((last, i) => ({
        studentId: `ZP${String(i).padStart(4, '0')}`,
        first: 'Fay',
        last,
      })),
      ...['Özil', 'özil', 'ÖZIL', 'Özdemir'].map((last, i) => ({ studentId: `ZU${String(i).padStart(4, '0')}`, first: 'Gil', last })),
      { studentId: 'ZF0100', first: 'Zia', last: 'Abbott' },
      { studentId: 'ZF0101', first: 'Özge', last: 'Abbott' },
    ];
    await env.knex('students').insert(
      people.map((p, i) => ({
        student_id: p.studentId,
        first_name: p.first,
        last_name: p.last,
        email: `zimmer-case${i}@university.edu`,
        programme: 'history',
        year_of_study: 2,
        deleted_at: p.deleted ? new Date() : null,
      })),
    );
  });
  after(() => env.teardown());

  /** Each word's pages at each limit, by the tiers at each threshold, are those of ranking every match. */
  const assertPagesAsRanked = async (words: string[], limits: number[], thresholds: number[]) => {
    for (const word of words) {
      const parsed = parseStudentSearch(word)!;
      for (const limit of limits) {
        const { sql, bindings } = rankedSearchStatement(parsed, limit);
        const expected = ((await env.knex.raw(sql, bindings)) as { rows: { id: string }[] }).rows.map((r) => r.id);
        for (const threshold of thresholds) {
          const found = await searchStudents(env.knex, parsed, limit, { threshold });
          assert.deepEqual(
            found.map((r) => r.id),
            expected,
            `'${word}', limit ${limit}, threshold ${threshold}`,
          );
        }
      }
    }
  };

  it('pages through the Zimmers exactly as ranking every match would, whether the others are sorted or walked', async () => {
    // 5,000: ranked whole; 20: the other name words (15) sorted; 10: walked.
    await assertPagesAsRanked(['zimmer', 'Zimmer', 'ZIMMER'], [1, 7, 12, 13, 20, 45, 100], [5_000, 20, 10]);
  });

  it('pages through a prefix of the last names, in every case, exactly as ranking every match would', async () => {
    // Ranges of the name order per case of the first four letters, the rest bounded; first names
    // sorted (threshold 20: at most 14 `zi` first names) or walked (10).
    await assertPagesAsRanked(
      ['zi', 'Zim', 'zimm', 'zimme', 'ZIMMERM', 'zimmermann', 'öz', 'ÖZI', 'aa1'],
      [1, 7, 20, 100],
      [5_000, 20, 10],
    );
  });

  it('puts the exact id first, then first names Zimmer before the last names, by name then id', async () => {
    const found = await searchStudents(env.knex, parseStudentSearch('zimmer')!, 20, { threshold: 10 });
    assert.equal(found[0]!.studentId, 'zimmer');
    assert.equal(found[0]!.match, 'studentId');
    // The first names Zimmer have last names Aa0…Aa11, which sort before every Zimmer, in byte order.
    assert.deepEqual(
      found.slice(1, 13).map((r) => r.lastName),
      ['Aa0', 'Aa1', 'Aa10', 'Aa11', 'Aa2', 'Aa3', 'Aa4', 'Aa5', 'Aa6', 'Aa7', 'Aa8', 'Aa9'],
    );
    // Then the last names themselves, by name and id, upper case first (ZIMMER, Zimmer, Zimmer-Abbott, zimmer).
    assert.deepEqual(
      found.slice(13, 20).map((r) => `${r.lastName} ${r.firstName} ${r.studentId}`),
      [
        'ZIMMER Ann ZM0010',
        'ZIMMER Ann ZM0025',
        'ZIMMER Bo ZM0001',
        'ZIMMER Bo ZM0016',
        'ZIMMER Cy ZM0007',
        'ZIMMER Cy ZM0022',
        'ZIMMER Di ZM0013',
      ],
    );
    assert.ok(found.slice(1).every((r) => r.match === 'name'));
    assert.ok(!found.some((r) => r.studentId === 'ZD0001'), 'a deleted student is never found');
  });
});
