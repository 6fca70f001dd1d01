/**
 * The ceilings the API is measured against, served by a separate process on the same machine:
 * a bare Koa JSON route (the framework with nothing in front), the same SQL the API runs issued
 * straight through a pg Pool (no validation, cache, auth or envelope), and the Argon2 verification
 * a login costs. If the API is close to these, its own overhead is small.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import pg from 'pg';
import { hashPassword, verifyPassword } from '../api/auth/passwords.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
const passwordHash = await hashPassword('TestPassword123!');

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/json') {
    ctx.body = { data: { status: 'ok' } };
  } else if (ctx.path.startsWith('/pg/student/')) {
    const { rows } = await pool.query('select * from students where id = $1 and deleted_at is null', [ctx.path.slice(12)]);
    ctx.body = { data: rows[0] };
  } else if (ctx.path === '/argon2') {
    ctx.body = { data: { ok: await verifyPassword(passwordHash, 'TestPassword123!') } };
  } else {
    ctx.status = 404;
  }
});

const server = createServer(app.callback()).listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
