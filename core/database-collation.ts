/**
 * The order the database sorts text in. Student search (api/students/search.ts, caseRanges) reads
 * a name prefix as ranges of the name-order btree whose bounds are worked out in code-point order
 * (`ZIMMER` < `Zimmer` < `zimmer`, `CZ…` < `C[`). Under a language-aware collation (en_US, ICU)
 * those ranges hold other rows and miss some: search would answer wrongly without an error. So a
 * database that does not sort by code point (C, POSIX, C.UTF-8 do; CloudNativePG's initdb uses C
 * unless told otherwise) is refused before anything is migrated, with what to do about it.
 */
import type { Knex } from 'knex';

/** Texts whose code-point order case, punctuation and accent rules would change. */
const PROBES = ['zimmer', 'Zimmer', 'ZIMMER', 'C[', 'CZ', 'Cz', 'a-c', 'ab', 'é', 'e', 'f', '10', '9'];

export class UnsupportedCollationError extends Error {
  override name = 'UnsupportedCollationError';
}

export async function assertCodePointCollation(knex: Knex): Promise<void> {
  const result = await knex.raw<{ rows: { sorted: string[]; collation: string }[] }>(
    `select array(select probe from unnest(?::text[]) as probe order by probe) as sorted,
            (select coalesce(nullif(datcollate, ''), 'unknown') from pg_database where datname = current_database()) as collation`,
    [PROBES],
  );
  const [row] = result.rows;
  // String comparison in JavaScript is by UTF-16 code unit: code-point order for these texts.
  const expected = [...PROBES].sort();
  if (row && row.sorted.join('\u0000') === expected.join('\u0000')) return;
  throw new UnsupportedCollationError(
    `The database sorts text by its collation (${row?.collation ?? 'unknown'}), not by code point: student search ` +
      `reads name ranges in code-point order and would answer wrongly. Use a database created with ` +
      `LC_COLLATE 'C' (or C.UTF-8), e.g. CREATE DATABASE passplatform TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' ` +
      `(CloudNativePG's default initdb already does).`,
  );
}
