/**
 * Schema migrations (knex), safe to start from many processes at once: every run first takes a
 * Postgres advisory lock on a connection of its own, so concurrent starts (the init containers of
 * a rolling update, a Job beside them) queue up and the later ones find nothing left to do, rather
 * than failing on knex's lock table.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import pg from 'pg';
import { assertCodePointCollation } from './database-collation.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Advisory-lock key of the migrations (any constant shared by every version of the platform). */
export const MIGRATION_LOCK_KEY = 7_301_442_019;

/**
 * The migrations beside this module, run as TypeScript from a checkout and as JavaScript from the
 * compiled build. Each is recorded under its source file name (`….ts`) either way, so a database
 * migrated by one form is up to date for the other.
 */
class SourceFileMigrations implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    const files = await readdir(MIGRATIONS_DIR);
    return files.filter((f) => /^\d.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.js$/, '.ts');
  }

  getMigration(file: string): Promise<Knex.Migration> {
    return import(pathToFileURL(join(MIGRATIONS_DIR, file)).href) as Promise<Knex.Migration>;
  }
}

/**
 * Brings the schema to the latest migration; returns the names applied by this call. A database
 * that does not sort text by code point is refused first (database-collation.ts).
 */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  // A connection of its own (same settings as the pool's) holds the session-level lock for the
  // whole run, whatever the size of the pool knex migrates with. If this process dies, the
  // session ends and Postgres releases the lock.
  const lock = new pg.Client(knex.client.config.connection as pg.ClientConfig | string);
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await assertCodePointCollation(knex);
    const [, applied] = (await knex.migrate.latest({ migrationSource: new SourceFileMigrations(), tableName: 'knex_migrations' })) as [
      number,
      string[],
    ];
    return applied;
  } finally {
    await lock.end();
  }
}
