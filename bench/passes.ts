/**
 * Pass lifecycle benchmarks against the running API: pass generation (sign + insert), QR
 * rendering and gate verification (signature, Redis revocation/anti-passback script, batched
 * access log), each beside the bare-Koa ceiling measured in the same run. The analytics over the
 * access logs seeded here: bench/analytics.ts.
 */
import type { Knex } from 'knex';
import { createKnex } from '../core/db.js';
import { seedAccessLogs, seedPasses } from '../scripts/seed-passes.js';
import { measure, passGenerationRequest, pick, row, type BenchContext, type BenchRow } from './harness.js';
import { benchScale } from './scale.js';

const MIN_ACCESS_LOGS = benchScale().accessLogs;

/** Seeds passes and access logs up to the bench's scale (once per database); returns the access logs there are. */
export async function ensureAccessLogs(knex: Knex, log: (m: string) => void): Promise<number> {
  const [{ n: passes }] = (await knex('passes').count('* as n')) as [{ n: number }];
  if (Number(passes) < 10_000) {
    log('seeding 50000 passes');
    await seedPasses(knex, { count: 50_000 });
  }
  const [{ n: logs }] = (await knex('access_logs').count('* as n')) as [{ n: number }];
  if (Number(logs) < MIN_ACCESS_LOGS) {
    log(`seeding ${MIN_ACCESS_LOGS - Number(logs)} access logs`);
    const t0 = performance.now();
    await seedAccessLogs(knex, { count: MIN_ACCESS_LOGS - Number(logs), days: 90 });
    log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const [{ n }] = (await knex('access_logs').count('* as n')) as [{ n: number }];
  return Number(n);
}

export async function benchPasses(ctx: BenchContext): Promise<BenchRow[]> {
  const knex = createKnex(ctx.databaseUrl, 2, 0);
  const base = { duration: ctx.durationSeconds, connections: ctx.connections };
  const json = { 'content-type': 'application/json' };
  const rows: BenchRow[] = [];
  try {
    await ensureAccessLogs(knex, ctx.log);
    const studentIds = (await knex('students').where({ status: 'active' }).whereNull('deleted_at').limit(2000).pluck('id')) as string[];
    ctx.log('ceiling: bare Koa JSON');
    const ceiling = await measure({ ...base, url: `${ctx.ceilingUrl}/json` });

    ctx.log('pass generation: POST /passes');
    // Codes of earlier runs were signed with another key (each run makes its own): only this run's verify.
    const runStarted = new Date(Date.now() - 1_000);
    const generation = await measure({
      ...base,
      url: ctx.apiUrl,
      headers: { authorization: `Bearer ${ctx.tokens.staff}`, ...json },
      requests: [passGenerationRequest(studentIds)],
    });
    rows.push(row('POST /passes (sign + insert)', generation, 'bare Koa JSON', ceiling));

    const issued = (await knex('passes')
      .whereNot('key_id', 'seed')
      .where('status', 'active')
      .where('created_at', '>=', runStarted)
      .orderBy('created_at', 'desc')
      .limit(1000)
      .select('id', 'qr_token')) as { id: string; qr_token: string }[];
    const qrRequest = (id: string) => `/passes/${id}/qr?format=png`;
    // Each pass's image is rendered when it is issued and stored with the pass (api/passes/qr.ts):
    // first every pass once (a holder opening a new pass), then random passes (holders re-opening them).
    ctx.log(`QR: GET /passes/:id/qr, each of ${issued.length} passes once, then again at random`);
    let next = 0;
    const firstRenders = await measure({
      url: ctx.apiUrl,
      connections: ctx.connections,
      amount: issued.length,
      headers: { authorization: `Bearer ${ctx.tokens.staff}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: qrRequest(issued[next++ % issued.length]?.id ?? '') }) }],
    });
    rows.push(row('GET /passes/:id/qr (PNG, first request)', firstRenders, 'bare Koa JSON', ceiling));
    const qr = await measure({
      ...base,
      url: ctx.apiUrl,
      headers: { authorization: `Bearer ${ctx.tokens.staff}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: qrRequest(pick(issued).id) }) }],
    });
    rows.push(row('GET /passes/:id/qr (PNG, again)', qr, 'bare Koa JSON', ceiling));

    ctx.log('gate verification: POST /passes/verify');
    // Each code alternates entry and exit, as a real gate sees it, so most verdicts are "valid".
    const lastDirection = new Map<string, string>();
    const verification = await measure({
      ...base,
      url: ctx.apiUrl,
      headers: { authorization: `Bearer ${ctx.tokens.security}`, ...json },
      requests: [
        {
          method: 'POST',
          path: '/passes/verify',
          setupRequest: (req) => {
            const code = pick(issued).qr_token;
            const direction = lastDirection.get(code) === 'entry' ? 'exit' : 'entry';
            lastDirection.set(code, direction);
            return { ...req, body: JSON.stringify({ code, gate: pick(['main-gate', 'north-gate', 'library']), direction }) };
          },
        },
      ],
    });
    rows.push(row('POST /passes/verify', verification, 'bare Koa JSON', ceiling));

    return rows;
  } finally {
    await knex.destroy();
  }
}
