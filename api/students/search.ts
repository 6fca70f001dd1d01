/**
 * Student search, ranked the way a person reading the list expects:
 *
 * 1. the student whose id is exactly what was typed;
 * 2. then by how many of the typed words are whole words of the name (`john` finds John Smith
 *    before Drake Johnson), then whole words anywhere (e-mail, id, programme, status);
 * 3. then Postgres' `ts_rank` of the prefix query (names weigh more than e-mail, which weighs more
 *    than programme and status);
 * 4. ties by last name, first name and student id: stable across pages and readable.
 *
 * Rows are found only through the GIN index (`search_vector @@ prefix query`, every word must start
 * a word of the student); the ordering is computed on the rows found, never by scanning the table.
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

/** `(vector @@ 'a') + (vector @@ 'b') …`: how many of the words match whole, optionally only in names (weight A). */
function wholeWordCount(search: StudentSearch, weight: '' | 'A'): { sql: string; bindings: string[] } {
  return {
    sql: search.terms.map(() => `(search_vector @@ to_tsquery('simple', ?))::int`).join(' + '),
    bindings: search.terms.map((t) => (weight ? `${t}:${weight}` : t)),
  };
}

interface RankColumns {
  rank: number;
  id_match: boolean;
  name_words: number;
  whole_words: number;
}

function matchOf(row: RankColumns): SearchMatch {
  if (row.id_match) return 'studentId';
  if (row.name_words > 0) return 'name';
  if (row.whole_words > 0) return 'word';
  return 'prefix';
}

/** The ranked query, as SQL with its bindings (a test explains it to see the index used). */
export function searchStatement(search: StudentSearch, limit: number): { sql: string; bindings: (string | number)[] } {
  const inName = wholeWordCount(search, 'A');
  const anywhere = wholeWordCount(search, '');
  return {
    sql: `select ${STUDENT_COLUMNS.join(', ')},
                 ts_rank(search_vector, q) as rank,
                 lower(student_id) = ? as id_match,
                 ${inName.sql} as name_words,
                 ${anywhere.sql} as whole_words
            from students, to_tsquery('simple', ?) q
           where deleted_at is null and search_vector @@ q
           order by id_match desc, name_words desc, whole_words desc, rank desc, last_name, first_name, student_id
           limit ?`,
    bindings: [search.exact, ...inName.bindings, ...anywhere.bindings, toPrefixQuery(search), limit],
  };
}

export async function searchStudents(db: Knex, search: StudentSearch, limit: number): Promise<StudentSearchResult[]> {
  const { sql, bindings } = searchStatement(search, limit);
  const result = await db.raw<{ rows: (StudentRow & RankColumns)[] }>(sql, bindings);
  return result.rows.map((row) => ({ ...toDto(row), rank: Number(row.rank), match: matchOf(row) }));
}
