/**
 * Test databases: one real Postgres database per test file, cloned from a migrated template so
 * each file starts from a clean schema in milliseconds. The template's name carries a hash of the
 * migrations, so a changed migration builds a new template.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { migrateLatest } from '../core/migrate.js';

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'core', 'migrations');

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function ensureTemplate(admin: knexFactory.Knex, template: string): Promise<void> {
  // A session-level advisory lock serialises template creation across concurrent test files.
  await admin.raw('select pg_advisory_lock(724001)');
  try {
    const exists = await admin.raw('select 1 from pg_database where datname = ?', [template]);
    if (exists.rows.length > 0) return;
    const building = `${template}_building`;
    await admin.raw(`drop database if exists "${building}"`);
    await admin.raw(`create database "${building}"`);
    const db = knexFactory({ client: 'pg', connection: urlFor(building), pool: { min: 0, max: 1 } });
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    await admin.raw(`alter database "${building}" rename to "${template}"`);
  } finally {
    await admin.raw('select pg_advisory_unlock(724001)');
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, migrated database for one test file. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 1, max: 1 } });
  const template = `pp_template_${migrationsHash()}`;
  const name = `pp_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  try {
    await ensureTemplate(admin, template);
    await admin.raw(`create database "${name}" template "${template}"`);
  } finally {
    await admin.destroy();
  }
  return {
    name,
    url: urlFor(name),
    async drop() {
      const a = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 1, max: 1 } });
      try {
        await a.raw(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.destroy();
      }
    },
  };
}
