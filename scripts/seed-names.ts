/**
 * Name pools for generated students, shaped like a real university's register: a head of common
 * names that many students share (so the seed k6 terms such as `john` and `smith` always hit) and a
 * long tail from several of faker's locales, so that no page of results is one name repeated.
 *
 * Each name comes with an ASCII form for e-mail addresses (`José` → `jose`).
 */
import {
  fakerDE,
  fakerEN,
  fakerEN_IN,
  fakerES,
  fakerFR,
  fakerIT,
  fakerNL,
  fakerPL,
  fakerSV,
  fakerYO_NG,
  type Faker,
} from '@faker-js/faker';

/** Common first and last names; together they make up `HEAD_SHARE` of all picks. */
const COMMON_FIRST = [
  'John',
  'Mary',
  'James',
  'Michael',
  'David',
  'Sarah',
  'Emma',
  'Mohammed',
  'Wei',
  'Priya',
  'Aisha',
  'Maria',
  'Daniel',
  'Olivia',
  'Liam',
  'Noah',
  'Sophia',
  'Chloe',
  'Carlos',
  'Anna',
];
const COMMON_LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Nguyen',
  'Kim',
  'Patel',
  'Okafor',
  'Kowalski',
  'Mueller',
  'Rossi',
  'Silva',
  'Khan',
  'Martin',
  'Lee',
  'Wilson',
  'Taylor',
  'Anderson',
];

/** Percentage of picks taken from the common head (each common name then covers about 1 %). */
export const HEAD_SHARE_PERCENT = 20;

const LOCALES: Faker[] = [fakerEN, fakerES, fakerDE, fakerFR, fakerIT, fakerPL, fakerNL, fakerSV, fakerEN_IN, fakerYO_NG];
/** One word of letters, optionally hyphenated once: no spaces, apostrophes or titles. */
const NAME = /^\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?$/u;

export interface NamePool {
  /** Names as shown. */
  display: string[];
  /** The same names folded to lower-case ASCII for e-mail addresses. */
  ascii: string[];
}

export interface NamePools {
  commonFirst: NamePool;
  commonLast: NamePool;
  first: NamePool;
  last: NamePool;
}

export function toAsciiName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .toLowerCase()
    .replace(/[^a-z-]/g, '');
}

function pool(names: Iterable<string>): NamePool {
  const display = [...new Set(names)].filter((n) => NAME.test(n) && toAsciiName(n).length > 1).sort();
  return { display, ascii: display.map(toAsciiName) };
}

/** Every entry of a faker definition (a list, or lists by gender). */
function entries(definition: unknown): string[] {
  if (Array.isArray(definition)) return definition.filter((v): v is string => typeof v === 'string');
  if (definition && typeof definition === 'object') return Object.values(definition).flatMap(entries);
  return [];
}

/** Deterministic: the same pools on every machine for the same faker version (sorted, de-duplicated). */
export function namePools(): NamePools {
  const person = LOCALES.map((f) => f.rawDefinitions.person ?? {});
  const common = (names: string[]) => new Set(names);
  const commonFirst = common(COMMON_FIRST);
  const commonLast = common(COMMON_LAST);
  return {
    commonFirst: pool(COMMON_FIRST),
    commonLast: pool(COMMON_LAST),
    first: pool(person.flatMap((p) => entries(p.first_name)).filter((n) => !commonFirst.has(n))),
    last: pool(person.flatMap((p) => entries(p.last_name)).filter((n) => !commonLast.has(n))),
  };
}
