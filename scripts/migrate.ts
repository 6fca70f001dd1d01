/**
 * `npm run migrate` (and the pods' `migrate` init container): brings the database named by
 * DATABASE_URL to the latest schema, as DATABASE_USER / DATABASE_PASSWORD when the URL names no user.
 */
import { withCredentials } from '../core/config.js';
import { createKnex } from '../core/db.js';
import { migrateLatest } from '../core/migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/passplatform).');
  process.exit(1);
}
const knex = createKnex(withCredentials(url, process.env.DATABASE_USER, process.env.DATABASE_PASSWORD), 2, 0);
try {
  const applied = await migrateLatest(knex);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await knex.destroy();
}
