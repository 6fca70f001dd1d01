/**
 * Migrating refuses a real database that sorts text by a language's rules (ICU en-US) before
 * applying anything, with what to do; the C.UTF-8 databases the tests use pass.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import knexFactory, { type Knex } from 'knex';
import { ADMIN_URL } from '../testing/db.js';
import { assertCodePointCollation, UnsupportedCollationError } from './database-collation.js';
import { migrateLatest } from './migrate.js';

const urlFor = (database: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString();

describe('the database’s text order', () => {
  const name = `pp_collation_en_us_${randomBytes(4).toString('hex')}`;
  let admin: Knex;
  let db: Knex;

  before(async () => {
    admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
    await admin.raw(`create database "${name}" template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
    db = knexFactory({ client: 'pg', connection: urlFor(name), pool: { min: 0, max: 1 } });
  });
  after(async () => {
    await db?.destroy();
    await admin.raw(`drop database if exists "${name}" with (force)`);
    await admin.destroy();
  });

  it('refuses to migrate a database that sorts by language rules, and applies nothing', async () => {
    await assert.rejects(migrateLatest(db), (err: unknown) => {
      assert.ok(err instanceof UnsupportedCollationError);
      assert.match(err.message, /not by code point/);
      assert.match(err.message, /LC_COLLATE 'C'/);
      return true;
    });
    const tables = await db.raw<{ rows: unknown[] }>(`select 1 from pg_tables where schemaname = 'public'`);
    assert.equal(tables.rows.length, 0, 'no table created');
  });

  it('accepts the code-point order of the databases the platform creates', async () => {
    await assertCodePointCollation(admin);
  });
});
