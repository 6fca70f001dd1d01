/** `npm run migrate`: brings the database named by DATABASE_URL to the latest schema. */
import { createKnex } from '../core/db.js';
import { migrateLatest } from '../core/migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/passplatform).');
  process.exit(1);
}
const knex = createKnex(url, 2, 0);
try {
  const applied = await migrateLatest(knex);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await knex.destroy();
}
