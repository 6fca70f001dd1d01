/**
 * Student search, ranked the way a person reading the list expects:
 *
 * 1. the student whose id is exactly what was typed;
 * 2. then by how many of the typed words are whole words of the name (`john` finds John Smith
 *    before Drake Johnson), then whole words anywhere (e-mail, id, programme, status);
 * 3. then by how many typed words start a word of the name (`medi` finds Bob Medina before a
 *    student of medicine);
 * 4. ties by last name, first name and student id: stable across pages and readable.
 *
 * Every condition is one an index answers (`search_vector` and the name words have GIN indexes,
 * student ids a btree on their lower case), and the order inside a tier is the order of the
 * (last name, first name, student id) btree. So a one-word search is a chain of tiers, each
 * `order by` that index `limit` the page, stopping as soon as the page is full: a word as broad as
 * `active` (most students) reads a page's worth of the name index, a rare one a few GIN entries,
 * never the whole table. Several words (all of which must match) are ranked on the rows the GIN
 * index finds for them together, which is a small set for anything but a pathological query.
 * Two tiers have matches that cluster where their last names begin (a whole last name, a last
 * name's first letters) rather than spread over the name order: those read that stretch of the
 * order directly (nameTierMember, namePrefixTierMember), so a prefix late in the alphabet (`pf`,
 * `zu`) costs what an early one does.
 */
import type { Knex } from 'knex';
import { STUDENT_COLUMNS, toDto, type StudentDto, type StudentRow } from '../../domain/students/repository.js';
import { z } from 'zod';
import { StudentView } from '../../domain/students/views.js';

/** At most this many words are searched; more would not narrow anything a person types. */
const MAX_TERMS = 8;
const MAX_TERM_LENGTH = 64;

/** Why a result matched, best first; the order of the results follows it. */
export const SEARCH_MATCHES = ['studentId', 'name', 'word', 'prefix'] as const;
export type SearchMatch = (typeof SEARCH_MATCHES)[number];

export interface StudentSearch {
  /** Lower-cased words of letters and digits only, so no tsquery syntax can be injected. */
  terms: string[];
  /** The whole text, trimmed and lower-cased, compared with student ids. */
  exact: string;
}

export type StudentSearchResult = StudentDto & { rank: number; match: SearchMatch };

export const StudentSearchView = z.strictObject({
  query: z.string(),
  results: z.array(StudentView.extend({ rank: z.number(), match: z.enum(SEARCH_MATCHES) })),
});

/** Splits free text into search words (`John  Smi!` → `john`, `smi`); undefined when none is left. */
export function parseStudentSearch(text: string): StudentSearch | undefined {
  const terms = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0)
    .slice(0, MAX_TERMS)
    .map((t) => t.slice(0, MAX_TERM_LENGTH));
  return terms.length ? { terms, exact: text.trim().toLowerCase() } : undefined;
}

/** Every word must match the start of a word of the student: `john smi` → `john:* & smi:*`. */
export function toPrefixQuery(search: StudentSearch): string {
  return search.terms.map((t) => `${t}:*`).join(' & ');
}

/** A key that identifies the ordered result (the same words and exact text give the same list). */
export function searchCacheKey(search: StudentSearch, limit: number): string {
  return JSON.stringify([limit, search.exact, search.terms]);
}

/** The name's words alone, as the A-weighted part of `search_vector`; an expression GIN index covers it. */
const NAME_WORDS = `to_tsvector('simple', first_name || ' ' || last_name)`;
/** The order inside a tier; the partial btree idx_students_name_order gives it without sorting. */
const NAME_ORDER = 'last_name, first_name, student_id';
const LIVE = 'deleted_at is null';
/**
 * The name's words but a plain last name's (letters and digits only: its one word is its lower
 * case); the GIN index idx_students_other_name_words covers it. A student whose name has a word
 * and whose lower-cased last name is not that word has it here: the first name's, or a last name's
 * of several words.
 */
const OTHER_NAME_WORDS = `to_tsvector('simple', first_name || case when last_name ~ '^[A-Za-z0-9]+$' then '' else ' ' || last_name end)`;
const tsquery = (bind = '?') => `to_tsquery('simple', ${bind})`;

interface TierColumns {
  rank: number;
  tier: number;
}

type Bind = 'word' | 'prefix';
/** A condition on the words of a student: the expression (name words or the whole vector) and the query. */
type Condition = [expression: string, bind: Bind];

const NAME_WORD: Condition = [NAME_WORDS, 'word'];
const NAME_PREFIX: Condition = [NAME_WORDS, 'prefix'];
const ANY_WORD: Condition = ['search_vector', 'word'];
const ANY_PREFIX: Condition = ['search_vector', 'prefix'];

/**
 * One word, as a chain of disjoint tiers, best first; inside each, the name order. `found` are
 * the conditions a GIN index answers (the tier's candidates), `not` take out the rows of a better
 * tier. Whatever a tier's `not` removes from its candidates lies in an earlier tier, which is what
 * bounds the walk below.
 */
const SINGLE_WORD_TIERS: { match: SearchMatch; found: Condition[]; not: Condition[] }[] = [
  { match: 'name', found: [NAME_WORD], not: [] },
  { match: 'word', found: [ANY_WORD, NAME_PREFIX], not: [NAME_WORD] },
  { match: 'word', found: [ANY_WORD], not: [NAME_PREFIX] },
  { match: 'prefix', found: [NAME_PREFIX], not: [ANY_WORD] },
  { match: 'prefix', found: [ANY_PREFIX], not: [NAME_PREFIX, ANY_WORD] },
];
const TIER_MATCH: SearchMatch[] = ['studentId', ...SINGLE_WORD_TIERS.map((t) => t.match)];

/**
 * A search (or a tier) with at most this many candidates is ranked whole (a millisecond or two
 * through its GIN index); a larger tier is read along the name order instead. Then, since fewer
 * than a page of rows came before it, at least CANDIDATES_SORTED - limit of its candidates are in
 * the tier, and the walk meets a page of them within a bounded stretch of the index
 * (≈ rows × students / 1,000 index entries, read index-only).
 */
const CANDIDATES_SORTED = 1_000;

/** `(expr @@ 'a') + (expr @@ 'b') …`: how many of the words match, as whole words or as prefixes. */
function countMatching(expr: string, search: StudentSearch, prefix: boolean): { sql: string; bindings: string[] } {
  return {
    sql: search.terms.map(() => `(${expr} @@ ${tsquery()})::int`).join(' + '),
    bindings: search.terms.map((t) => (prefix ? `${t}:*` : t)),
  };
}

type Statement = { sql: string; bindings: (string | number | string[])[] };

const conditionSql = ([expression]: Condition) => `${expression} @@ ${tsquery()}`;
const NAME_COLUMNS = NAME_ORDER.split(', ');

/**
 * The whole-word name tier of one word, whose matches cluster where the word's last names begin
 * (the Smiths are all at S: a walk of the name order from its start read 843,000 entries at a
 * million students), read in two parts and merged, the page being among each part's first page:
 *
 * - the students whose last name is the word: a range of idx_students_last_name_lower, already in
 *   name order, read until the page is full. Its tier check sits above an `offset 0`: taking the
 *   name word and the last name for independent, the planner would otherwise expect a handful of
 *   Smiths and sort every one of them (9,953 rows from the table) instead of reading in order;
 * - the others (a first name Smith, a last name of several words), found through the GIN index of
 *   the other name words (`cte`, stopping one past `candidatesSorted`): sorted when that few, else
 *   walked along the name order, which they are spread over as first names are over last names.
 *
 * Bindings: the rank's query, then per part (word or threshold, word, the tier check, limit),
 * then the limit; the CTE's: the word and candidatesSorted + 1.
 */
function nameTierMember(cte: string, tier: number, rank: string, inTier: string): { cte: string; member: string } {
  const others = `(select count(*) from ${cte})`;
  return {
    cte: `${cte} as materialized (
      select id, ${NAME_ORDER}, search_vector from students where ${LIVE} and ${OTHER_NAME_WORDS} @@ ${tsquery()} limit ?)`,
    member: `(select ${STUDENT_COLUMNS.map((c) => `s.${c}`).join(', ')}, ${rank}, ${tier} as tier
        from (select id, ${NAME_ORDER} from (
                (select * from (select id, ${NAME_ORDER} from (
                   select id, ${NAME_ORDER}, search_vector from students
                    where ${LIVE} and lower(last_name) = ? order by ${NAME_ORDER} offset 0) named
                  where ${inTier} limit ?) named_page)
                union all
                (select id, ${NAME_ORDER} from ${cte}
                  where ${others} <= ? and lower(last_name) <> ? and ${inTier} order by ${NAME_ORDER} limit ?)
                union all
                (select id, ${NAME_ORDER} from students
                  where ${others} > ? and ${LIVE} and lower(last_name) <> ? and ${inTier} order by ${NAME_ORDER} limit ?)) parts
               order by ${NAME_ORDER} limit ?) walked
        join students s using (id)
       order by ${NAME_COLUMNS.map((c) => `walked.${c}`).join(', ')})`,
  };
}

/** Cases are varied for at most this many leading characters of a prefix: ≤ 16 ranges of the name order. */
const CASE_VARIED_CHARS = 4;

/** The next code point's string (`z` → `{`), skipping the surrogates, which no text holds. */
function nextCodePoint(c: string): string {
  const next = c.codePointAt(0)! + 1;
  return String.fromCodePoint(next >= 0xd800 && next <= 0xdfff ? 0xe000 : next);
}

/**
 * The texts (last names for the prefix tier, student ids for broadPrefix) that start with the
 * (lower-case) word but for the case of its ASCII letters (`cz`: Cz…, CZ…, cZ…, cz…), as ranges
 * of a btree. Last names are where a name prefix's students cluster, and the others (a first name
 * Czesław, or a last name whose first letter is another case of a non-ASCII one) are where the
 * first names spread.
 *
 * - `pattern`, the anchored regular expression that says it of a text (`^[Cc][Zz]`): every
 *   last name of letters and digits whose lower case starts with the word matches it, so the
 *   prefix tier is exactly its rows that match (read by these ranges) and those that do not, which
 *   have a first name's word, or a word of a last name of other characters, starting with the
 *   word (read through idx_students_other_name_words);
 * - `lows`/`highs`, one range per case of the first CASE_VARIED_CHARS characters, holding every
 *   text that matches with those first characters (bounded by the rest in upper case, then in
 *   lower case with its last character the next code point). The order of text is code point
 *   order (C.UTF-8: `ZIMMER` < `Zimmer` < `zimmer`, as the tests check), in which a range holds
 *   exactly the strings between its bounds.
 */
export function caseRanges(word: string): { pattern: string; lows: string[]; highs: string[] } {
  const chars = [...word];
  const cases = (c: string) => (c >= 'a' && c <= 'z' ? [c.toUpperCase(), c] : [c]);
  // Letters and digits only (parseStudentSearch), none of which a regular expression reads as syntax.
  const pattern = `^${chars.map((c) => (cases(c).length > 1 ? `[${cases(c).join('')}]` : c)).join('')}`;
  let heads = [''];
  for (const c of chars.slice(0, CASE_VARIED_CHARS)) heads = heads.flatMap((head) => cases(c).map((v) => head + v));
  const rest = chars.slice(CASE_VARIED_CHARS);
  const lowest = rest.map((c) => cases(c)[0]!).join('');
  const lows = heads.map((head) => head + lowest);
  const highs = heads.map((head) => {
    const all = [...head, ...rest];
    return all.slice(0, -1).join('') + nextCodePoint(all.at(-1)!);
  });
  return { pattern, lows, highs };
}

/**
 * The name-prefix tier of one word, whose matches cluster where the word's last names begin (`cz`
 * walked 700,000 entries of the name order to reach the Cz… at a million students), read in two
 * parts and merged, the page being among each part's first page:
 *
 * - the last names that start with the word but for case (caseRanges): one range of the
 *   name order per case, each read index-only until the page is full, the pages sorted together;
 * - the others (a first name that starts with the word, a last name of other characters), found
 *   through the GIN index of the other name words (`cte`, stopping one past `candidatesSorted`):
 *   sorted when that few, else walked along the name order, which they are spread over as first
 *   names are over last names.
 *
 * Bindings: the rank's query; lows, highs, pattern, the tier check, limit; threshold, the tier
 * check, limit; threshold, pattern, the tier check, limit; limit. The CTE's: the prefix query,
 * pattern and candidatesSorted + 1.
 */
function namePrefixTierMember(cte: string, tier: number, rank: string, inTier: string): { cte: string; member: string } {
  const others = `(select count(*) from ${cte})`;
  return {
    cte: `${cte} as materialized (
      select id, ${NAME_ORDER}, search_vector from students
       where ${LIVE} and ${OTHER_NAME_WORDS} @@ ${tsquery()} and last_name !~ ? limit ?)`,
    member: `(select ${STUDENT_COLUMNS.map((c) => `s.${c}`).join(', ')}, ${rank}, ${tier} as tier
        from (select id, ${NAME_ORDER} from (
                (select cased.id, ${NAME_COLUMNS.map((c) => `cased.${c}`).join(', ')}
                   from unnest(?::text[], ?::text[]) as range(low, high)
                  cross join lateral (
                    select id, ${NAME_ORDER} from students
                     where ${LIVE} and last_name >= range.low and last_name < range.high and last_name ~ ? and ${inTier}
                     order by ${NAME_ORDER} limit ?) cased)
                union all
                (select id, ${NAME_ORDER} from ${cte}
                  where ${others} <= ? and ${inTier} order by ${NAME_ORDER} limit ?)
                union all
                (select id, ${NAME_ORDER} from students
                  where ${others} > ? and ${LIVE} and last_name !~ ? and ${inTier} order by ${NAME_ORDER} limit ?)) parts
               order by ${NAME_ORDER} limit ?) walked
        join students s using (id)
       order by ${NAME_COLUMNS.map((c) => `walked.${c}`).join(', ')})`,
  };
}

/**
 * The statement of a one-word search: the exact-id tier, then each word tier, chained with UNION
 * ALL under the page's limit. Postgres runs an Append's members in order and stops pulling once
 * the limit is met, so a tier below a full page never runs (no member can run in a parallel
 * worker, which could interleave them: each reads a CTE, which is parallel-restricted). Each tier
 * has two members, of which one runs: with at most `candidatesSorted` candidates (found through
 * its GIN indexes, in a materialised CTE that stops one past the threshold: for a common word the
 * planner reads the table until it has them, a handful of pages, instead of building a bitmap of
 * most of it) they are sorted; with more, the tier is read along the name-order index (index-only: it carries id and
 * search_vector) and only the page's rows are fetched from the table. The whole-word name tier
 * and the name-prefix tier, whose matches cluster under their last names, are one member each of
 * their own (nameTierMember, namePrefixTierMember).
 */
export function singleWordStatement(
  search: StudentSearch,
  limit: number,
  candidatesSorted = CANDIDATES_SORTED,
  /** The last tier (other prefixes) is known to have more than `candidatesSorted` candidates: walked without counting them. */
  broadPrefixTier = false,
): Statement {
  const word = search.terms[0]!;
  const values: Record<Bind, string> = { word, prefix: `${word}:*` };
  const columns = STUDENT_COLUMNS.join(', ');
  const rank = `ts_rank(search_vector, ${tsquery()}) as rank`;
  const ctes: string[] = [];
  const cteBindings: (string | number)[] = [];
  const members = [`(select ${columns}, ${rank}, 0 as tier from students where ${LIVE} and lower(student_id) = ? limit 1)`];
  const bindings: (string | number | string[])[] = [values.prefix, search.exact];
  for (const [index, tier] of SINGLE_WORD_TIERS.entries()) {
    const cte = `tier${index + 1}`;
    // On rows already read, a name condition is the A-weighted part of search_vector: the same
    // words, without parsing the name again (the walk checks thousands of index entries).
    const onRow = ([expression, bind]: Condition): [string, string] =>
      expression === NAME_WORDS
        ? [`search_vector @@ ${tsquery()}`, `${values[bind]}${bind === 'word' ? ':A' : 'A'}`]
        : [conditionSql([expression, bind]), values[bind]];
    const checks = [
      ...tier.found.map((c) => onRow(c)),
      ...tier.not.map((c) => onRow(c)).map(([sql, v]): [string, string] => [`not ${sql}`, v]),
    ];
    const inTier = [...checks.map(([sql]) => sql), 'lower(student_id) <> ?'].join(' and ');
    const inTierBindings = [...checks.map(([, v]) => v), search.exact];
    if (tier.match === 'name') {
      const named = nameTierMember(cte, index + 1, rank, inTier);
      ctes.push(named.cte);
      cteBindings.push(word, candidatesSorted + 1);
      members.push(named.member);
      bindings.push(values.prefix, word, ...inTierBindings, limit);
      bindings.push(candidatesSorted, word, ...inTierBindings, limit);
      bindings.push(candidatesSorted, word, ...inTierBindings, limit);
      bindings.push(limit);
      continue;
    }
    if (tier.match === 'prefix' && tier.found[0] === NAME_PREFIX) {
      const { pattern, lows, highs } = caseRanges(word);
      const named = namePrefixTierMember(cte, index + 1, rank, inTier);
      ctes.push(named.cte);
      cteBindings.push(values.prefix, pattern, candidatesSorted + 1);
      members.push(named.member);
      bindings.push(values.prefix, lows, highs, pattern, ...inTierBindings, limit);
      bindings.push(candidatesSorted, ...inTierBindings, limit);
      bindings.push(candidatesSorted, pattern, ...inTierBindings, limit);
      bindings.push(limit);
      continue;
    }
    const counted = !(broadPrefixTier && index === SINGLE_WORD_TIERS.length - 1);
    if (counted) {
      ctes.push(`${cte} as materialized (
      select ${columns}, search_vector from students where ${LIVE} and ${tier.found.map(conditionSql).join(' and ')} limit ?)`);
      cteBindings.push(...tier.found.map(([, bind]) => values[bind]), candidatesSorted + 1);
    }
    const candidates = counted ? `(select count(*) from ${cte})` : `(${candidatesSorted} + 1)`;
    members.push(
      `(select ${columns}, ${rank}, ${index + 1} as tier from ${counted ? cte : 'students'}
         where ${candidates} <= ? and ${inTier} order by ${NAME_ORDER} limit ?)`,
      `(select ${STUDENT_COLUMNS.map((c) => `s.${c}`).join(', ')}, ${rank}, ${index + 1} as tier
          from (select id, ${NAME_ORDER} from students
                 where ${candidates} > ? and ${LIVE} and ${inTier} order by ${NAME_ORDER} limit ?) walked
          join students s using (id)
         order by ${NAME_COLUMNS.map((c) => `walked.${c}`).join(', ')})`,
    );
    bindings.push(values.prefix, candidatesSorted, ...inTierBindings, limit);
    bindings.push(values.prefix, candidatesSorted, ...inTierBindings, limit);
  }
  return {
    sql: `with ${ctes.join(',\n')}
          select * from (${members.join('\n union all ')}) chain limit ?`,
    bindings: [...cteBindings, ...bindings, limit],
  };
}

/**
 * Every match of the words, ranked whole when there are at most `threshold` (what most searches
 * find: one short statement); past that only counted (up to one more), and `many` is 0 rows.
 */
export function fewMatchesStatement(search: StudentSearch, limit: number, threshold: number): Statement {
  const ranked = rankedSql(search, 'found', 'k.matches <= ?', [threshold]);
  return {
    sql: `with found as materialized (
            select ${STUDENT_COLUMNS.join(', ')}, search_vector from students where ${LIVE} and search_vector @@ ${tsquery()} limit ?)
          select k.matches, page.* from (select count(*)::int as matches from found) k
          left join lateral (${ranked.sql} limit ?) page on true`,
    bindings: [toPrefixQuery(search), threshold + 1, ...ranked.bindings, limit],
  };
}

/** How often each common word occurs among students, as ANALYZE last saw it (rows per word). */
interface CommonWords {
  readAt: number;
  rows: Map<string, number>;
  /** Students in the table, as ANALYZE last counted them. */
  students: number;
}
const COMMON_WORDS_TTL_MS = 10 * 60_000;
const commonWordsByDb = new WeakMap<Knex, CommonWords>();

/** The planner's own statistics of search_vector (its most common words and their frequencies), read at most every ten minutes. */
async function commonWords(db: Knex): Promise<CommonWords> {
  const cached = commonWordsByDb.get(db);
  if (cached && Date.now() - cached.readAt < COMMON_WORDS_TTL_MS) return cached;
  const { rows } = await db.raw<{ rows: { words: string[] | null; freqs: number[] | null; reltuples: number }[] }>(
    `select s.most_common_elems::text::text[] as words, s.most_common_elem_freqs as freqs, c.reltuples::float8 as reltuples
       from pg_class c left join pg_stats s on s.tablename = c.relname and s.attname = 'search_vector' and s.schemaname = current_schema()
      where c.oid = 'students'::regclass`,
  );
  const stats = rows[0];
  const counts = new Map<string, number>();
  stats?.words?.forEach((word, i) => counts.set(word, (stats.freqs?.[i] ?? 0) * Math.max(stats.reltuples, 0)));
  const read = { readAt: Date.now(), rows: counts, students: Math.max(stats?.reltuples ?? 0, 0) };
  commonWordsByDb.set(db, read);
  return read;
}

/**
 * Whether more than `threshold` students have an id, or a last name, that starts with the word
 * (case aside). Each is counted index-only, stopping one past the threshold: the ids by the unique
 * btree of the ids as stored, one range per case (caseRanges: ids are stored in upper case, the
 * word is lower case), deleted students included; the last names by the lower-case btree's range.
 * Only the plan depends on it, never the answer.
 */
async function broadPrefix(db: Knex, word: string, threshold: number): Promise<{ ids: boolean; lastNames: boolean }> {
  const chars = [...word];
  const { pattern, lows, highs } = caseRanges(word);
  const { rows } = await db.raw<{ rows: { ids: number; last_names: number }[] }>(
    `select (select count(*)::int from (
               select 1 from unnest(?::text[], ?::text[]) as range(low, high)
                cross join lateral (select 1 from students where student_id >= range.low and student_id < range.high and student_id ~ ? limit ?) cased
                limit ?) ids) as ids,
            (select count(*)::int from (select 1 from students
                where ${LIVE} and lower(last_name) >= ? and lower(last_name) < ? limit ?) last_names) as last_names`,
    [lows, highs, pattern, threshold + 1, threshold + 1, word, chars.slice(0, -1).join('') + nextCodePoint(chars.at(-1)!), threshold + 1],
  );
  return { ids: rows[0]!.ids > threshold, lastNames: rows[0]!.last_names > threshold };
}

async function searchRows(db: Knex, search: StudentSearch, limit: number, threshold: number): Promise<(StudentRow & TierColumns)[]> {
  const words = await commonWords(db);
  const expected = (term: string) => {
    let total = 0;
    for (const [word, rows] of words.rows) if (word.startsWith(term)) total += rows;
    return total;
  };
  // Students expected to match every word, as if the words were independent: a common first
  // name and a common last name together are few (`james taylor`: ≈ 100 of a million), a
  // programme's two words are not (`computer science`: a tenth, estimated 1 %).
  const expectedAll = words.students
    ? search.terms.reduce((rows, term) => rows * Math.min(1, expected(term) / words.students), words.students)
    : 0;
  // A search the statistics expect to match many students goes straight to the tiers: counting
  // its matches through the GIN index would build a bitmap of most of the table (250 ms for
  // `active` at a million students).
  // One word that more than `threshold` ids or last names start with goes straight to the tiers
  // too, as the lower-case id and last-name btrees tell from at most threshold + 1 entries each,
  // read index-only (no GIN prefix expansion): counting its matches would read threshold + 1 rows
  // of the table only to learn they are too many (`bu`, the Bu… last names: ~1,000 heap pages).
  // An id prefix (`cs2020`) is then known broad in its last tier, which is walked without counting.
  const broad = search.terms.length === 1 ? await broadPrefix(db, search.terms[0]!, threshold) : { ids: false, lastNames: false };
  if (!broad.ids && !broad.lastNames && expectedAll <= threshold) {
    const few = fewMatchesStatement(search, limit, threshold);
    const { rows } = await db.raw<{ rows: ({ matches: number } & StudentRow & TierColumns)[] }>(few.sql, few.bindings);
    if (rows[0]!.matches <= threshold) return rows.filter((r) => r.id !== null);
  }
  if (search.terms.length > 1) return severalWords(db, search, limit, threshold);
  const { sql, bindings } = singleWordStatement(search, limit, threshold, broad.ids);
  const result = await db.raw<{ rows: (StudentRow & TierColumns)[] }>(sql, bindings);
  // The chain's rows come tier by tier, each in name order; the (stable) sort says so explicitly.
  return result.rows.sort((a, b) => a.tier - b.tier);
}

/** How much of the name order a tier of several common words reads before counting its candidates. */
const NAME_ORDER_HEAD = 5_000;

type RankedRow = StudentRow & TierColumns & { exact: boolean; name_words: number; whole_words: number };

/**
 * Several words, all common (`computer science`: a tenth of the table), in the order ranking every
 * match gives (exact id, then how many words are whole words of the name, whole words anywhere,
 * prefixes of the name; then the name order), without ranking every match:
 *
 * - the matches some word of the name starts with (or the exact id) are few, since names are
 *   varied: found through the name-words GIN index and ranked whole;
 * - the others tie on the name counts (0), so among them only the whole-word count k orders, then
 *   the name: one tier per k, from all the words down to none, each sorted from its candidates or
 *   walked along the name order (as one word's tiers are), read only while the page is not full.
 *
 * The ranked ones with no whole word of the name go in just before the tier of their own whole-
 * word count (they start a word of the name, which those do not). When the name matches are too
 * many to rank (a pathological query), every match is ranked.
 */
async function severalWords(db: Knex, search: StudentSearch, limit: number, threshold: number): Promise<(StudentRow & TierColumns)[]> {
  const anyNamePrefix = search.terms.map((t) => `${t}:*`).join(' | ');
  const namePart = rankedSql(search, 'found', 'true', []);
  const { rows: named } = await db.raw<{ rows: ({ matches: number } & RankedRow)[] }>(
    // `offset 0` keeps the words' condition off the index: with it, the planner would AND in a
    // bitmap of every match of the common words (a tenth of the table) to find a handful of names.
    `with found as materialized (
       select * from (
         select ${STUDENT_COLUMNS.join(', ')}, search_vector from students
          where ${LIVE} and (${NAME_WORDS} @@ ${tsquery()} or lower(student_id) = ?) offset 0) named
        where search_vector @@ ${tsquery()} limit ?)
     select k.matches, page.* from (select count(*)::int as matches from found) k left join lateral (${namePart.sql}) page on true`,
    [anyNamePrefix, search.exact, toPrefixQuery(search), threshold + 1, ...namePart.bindings],
  );
  if (named[0]!.matches > threshold) {
    const ranked = rankedSearchStatement(search, limit);
    return (await db.raw<{ rows: (StudentRow & TierColumns)[] }>(ranked.sql, ranked.bindings)).rows;
  }
  const ranked = named.filter((r) => r.id !== null);
  const page: (StudentRow & TierColumns)[] = ranked.filter((r) => r.exact || r.name_words > 0);
  for (let k = search.terms.length; k >= 0 && page.length < limit; k--) {
    page.push(...ranked.filter((r) => !r.exact && r.name_words === 0 && r.whole_words === k));
    if (page.length >= limit) break;
    const wanted = limit - page.length;
    const head = wholeWordTierStatement(search, k, wanted, threshold, NAME_ORDER_HEAD);
    const found = (await db.raw<{ rows: (StudentRow & TierColumns)[] }>(head.sql, head.bindings)).rows;
    if (found.length === wanted) {
      page.push(...found);
      continue;
    }
    const tier = wholeWordTierStatement(search, k, wanted, threshold);
    page.push(...(await db.raw<{ rows: (StudentRow & TierColumns)[] }>(tier.sql, tier.bindings)).rows);
  }
  return page.slice(0, limit);
}

/**
 * The matches of several words that no word of the name starts with, exactly `k` of the words
 * being whole words of the student, in name order: sorted from their candidates when there are at
 * most `candidatesSorted` (the rows with every word whole, for k = all; else every match), else
 * walked along the name-order index, index-only, until `limit` are found.
 */
export function wholeWordTierStatement(
  search: StudentSearch,
  k: number,
  limit: number,
  candidatesSorted: number,
  head?: number,
): Statement {
  const columns = STUDENT_COLUMNS.join(', ');
  const candidateQuery = k === search.terms.length ? search.terms.join(' & ') : toPrefixQuery(search);
  const whole = countMatching('search_vector', search, false);
  // On rows already read, a name condition is the A-weighted part of search_vector (see singleWordStatement).
  const inTier = `search_vector @@ ${tsquery()} and not search_vector @@ ${tsquery()} and lower(student_id) <> ? and ${whole.sql} = ?`;
  const inTierBindings = [toPrefixQuery(search), search.terms.map((t) => `${t}:*A`).join(' | '), search.exact, ...whole.bindings, k];
  const rank = `ts_rank(search_vector, ${tsquery()}) as rank, ${k > 0 ? 2 : 4} as tier`;
  if (head !== undefined) {
    // Only the first `head` entries of the name order, index-only: if a page of the tier is among
    // them, it is the tier's first page (any earlier row of the tier would be among them too).
    return {
      sql: `select ${STUDENT_COLUMNS.map((c) => `s.${c}`).join(', ')}, ${rank}
              from (select id, ${NAME_ORDER} from (select id, ${NAME_ORDER}, search_vector from students where ${LIVE} order by ${NAME_ORDER} limit ?) h
                     where ${inTier} order by ${NAME_ORDER} limit ?) walked
              join students s using (id)
             order by ${NAME_COLUMNS.map((c) => `walked.${c}`).join(', ')}`,
      bindings: [toPrefixQuery(search), head, ...inTierBindings, limit],
    };
  }
  return {
    sql: `with candidates as materialized (
            select ${columns}, search_vector from students where ${LIVE} and search_vector @@ ${tsquery()} limit ?)
          (select ${columns}, ${rank} from candidates
            where (select count(*) from candidates) <= ? and ${inTier} order by ${NAME_ORDER} limit ?)
          union all
          (select ${STUDENT_COLUMNS.map((c) => `s.${c}`).join(', ')}, ${rank}
             from (select id, ${NAME_ORDER} from students
                    where (select count(*) from candidates) > ? and ${LIVE} and ${inTier} order by ${NAME_ORDER} limit ?) walked
             join students s using (id)
            order by ${NAME_COLUMNS.map((c) => `walked.${c}`).join(', ')})`,
    bindings: [
      candidateQuery,
      candidatesSorted + 1,
      toPrefixQuery(search),
      candidatesSorted,
      ...inTierBindings,
      limit,
      toPrefixQuery(search),
      candidatesSorted,
      ...inTierBindings,
      limit,
    ],
  };
}

/**
 * Every match ranked in one statement: what a search of several words runs (they must all match,
 * so the GIN index finds few rows), and for one word the reference the tiers must agree with.
 */
export function rankedSearchStatement(search: StudentSearch, limit: number): Statement {
  const ranked = rankedSql(search, 'students', `${LIVE} and search_vector @@ ${tsquery()}`, [toPrefixQuery(search)]);
  return { sql: `${ranked.sql} limit ?`, bindings: [...ranked.bindings, limit] };
}

/** Every row of `source` that `where` keeps, in the search's order (without a limit). */
function rankedSql(search: StudentSearch, source: string, where: string, whereBindings: (string | number)[]): Statement {
  const nameWords = countMatching(NAME_WORDS, search, false);
  const wholeWords = countMatching('search_vector', search, false);
  const namePrefixes = countMatching(NAME_WORDS, search, true);
  return {
    sql: `select ${STUDENT_COLUMNS.join(', ')}, ts_rank(search_vector, ${tsquery()}) as rank,
                 case when lower(student_id) = ? then 0
                      when ${nameWords.sql} > 0 then 1
                      when ${wholeWords.sql} > 0 then 2
                      else 4 end as tier,
                 lower(student_id) = ? as exact, ${nameWords.sql} as name_words, ${wholeWords.sql} as whole_words
            from ${source}
           where ${where}
           order by lower(student_id) = ? desc, ${nameWords.sql} desc, ${wholeWords.sql} desc, ${namePrefixes.sql} desc, ${NAME_ORDER}`,
    bindings: [
      toPrefixQuery(search),
      search.exact,
      ...nameWords.bindings,
      ...wholeWords.bindings,
      search.exact,
      ...nameWords.bindings,
      ...wholeWords.bindings,
      ...whereBindings,
      search.exact,
      ...nameWords.bindings,
      ...wholeWords.bindings,
      ...namePrefixes.bindings,
    ],
  };
}

export async function searchStudents(
  db: Knex,
  search: StudentSearch,
  limit: number,
  tuning = { threshold: CANDIDATES_SORTED },
): Promise<StudentSearchResult[]> {
  const rows = await searchRows(db, search, limit, tuning.threshold);
  return rows.map((row) => ({ ...toDto(row), rank: Number(row.rank), match: TIER_MATCH[row.tier] ?? 'prefix' }));
}
