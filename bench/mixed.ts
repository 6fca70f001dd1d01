/**
 * A mixed workload at increasing rates until an SLA breaks: the seed's test mix ("70 % read, 20 %
 * write, 10 % file upload") spread over the API's SLA classes, each class sent by its own
 * autocannon instance at its share of the total rate (so each class's latency is its own), one
 * step of BENCH_DURATION seconds per rate. A step breaks when a class's p95 exceeds its SLA
 * (core/sla.ts) or more than 1 % of its requests fail; the row reports the last rate that held,
 * per core of this machine (everything, load generator included, shares them), beside the seed's
 * 1,850 req/s on 16 application cores (≈ 115 per core).
 *
 * Uploads are 256 KB PDFs (the mix's 10 % of 5 MB files would be 50 MB/s at 100 req/s, a
 * bandwidth test, not a mix); only the API's 202 is timed (no worker runs in the bench).
 */
import { cpus } from 'node:os';
import type autocannon from 'autocannon';
import { createKnex } from '../core/db.js';
import { SLA_CLASSES, type SlaClass } from '../core/sla.js';
import { samplePdf } from '../testing/worker-process.js';
import { SEED_PASSWORD } from '../scripts/seed.js';
import { cpuMs } from './api-process.js';
import { measure, passGenerationRequest, pick, type BenchContext, type BenchRow, type Measured } from './harness.js';

// From 50 req/s: the smallest rate at which every share is a whole number of requests a second
// (login is 2 %); below it the shares round up to 1 req/s each and the mix is no longer the seed's
// (at 10 req/s login was 1 in 11 requests, and its Argon2 hash most of the API's CPU).
const RATES = (process.env.BENCH_MIXED_RATES ?? '50,100,200,400,800').split(',').map(Number);
const SEED_PER_CORE = 1850 / 16;
const BREAKDOWN_SECONDS = 4;
const BREAKDOWN_CONNECTIONS = 8;

interface Share {
  name: string;
  sla: SlaClass;
  /** Percent of all requests. */
  percent: number;
  requests: autocannon.Request[];
  headers?: Record<string, string>;
}

function multipart(file: Buffer): { body: Buffer; type: string } {
  const boundary = 'benchmixedboundary';
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="mixed.pdf"\r\ncontent-type: application/pdf\r\n\r\n`,
  );
  return { body: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

/** The API's CPU per request of the mix (median over the steps) and the rate per core it allows the API alone. */
function cpuNote(perRequest: number[]): string {
  if (perRequest.length === 0) return 'API CPU not measured (no /proc)';
  const median = [...perRequest].sort((a, b) => a - b)[Math.floor(perRequest.length / 2)]!;
  return `API CPU ${median.toFixed(2)} ms per request of the mix (median of ${perRequest.length} steps): at most ${(1000 / median).toFixed(0)} req/s per core for the API process alone (Postgres, Redis and the load generator not counted)`;
}

/**
 * Which requests of the mix cost the API its CPU: each share alone, as fast as BREAKDOWN_CONNECTIONS
 * connections send it, for BREAKDOWN_SECONDS; its API CPU per request (the process's idle CPU over
 * the same time taken off, though at thousands of requests it hardly counts), and what that weighs
 * in the mix (percent × CPU), largest first. Unlike the latencies, this barely depends on the load
 * of the machine, so it says where a faster mix must come from.
 */
async function cpuByShare(ctx: BenchContext, shares: Share[]): Promise<string> {
  const idleBefore = cpuMs(ctx.apiPid);
  const idleStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleAfter = cpuMs(ctx.apiPid);
  if (idleBefore === undefined || idleAfter === undefined) return 'API CPU by share not measured (no /proc)';
  const idlePerMs = (idleAfter - idleBefore) / (performance.now() - idleStarted);
  const costs: { share: Share; perRequest: number; served: number }[] = [];
  for (const share of shares) {
    const before = cpuMs(ctx.apiPid);
    const started = performance.now();
    const measured = await measure({
      url: ctx.apiUrl,
      duration: BREAKDOWN_SECONDS,
      connections: BREAKDOWN_CONNECTIONS,
      ...(share.headers ? { headers: share.headers } : {}),
      requests: share.requests,
    });
    const after = cpuMs(ctx.apiPid);
    if (before === undefined || after === undefined || !measured.total) continue;
    const busy = after - before - idlePerMs * (performance.now() - started);
    costs.push({ share, perRequest: Math.max(0, busy) / measured.total, served: measured.total });
  }
  const weighed = costs
    .map(({ share, perRequest, served }) => ({ name: share.name, perRequest, served, inMix: (perRequest * share.percent) / 100 }))
    .sort((a, b) => b.inMix - a.inMix);
  const sum = weighed.reduce((total, c) => total + c.inMix, 0);
  ctx.log(`mixed: API CPU by share: ${weighed.map((c) => `${c.name} ${c.perRequest.toFixed(2)} ms (${c.served} requests)`).join(', ')}`);
  return `API CPU by share, each alone as fast as ${BREAKDOWN_CONNECTIONS} connections send it (ms per request → ms per request of the mix): ${weighed
    .map((c) => `${c.name} ${c.perRequest.toFixed(2)} → ${c.inMix.toFixed(2)}`)
    .join(', ')}; sum ${sum.toFixed(2)} ms → ${(1000 / sum).toFixed(0)} req/s per core`;
}

/**
 * Asks once for the QR image of every pass the QR share picks from, before anything is measured.
 * A pass's PNG is rendered when it is issued and stored with it; a stored PNG whose ETag names
 * another rendering (the bench's database holds passes issued by earlier builds, and builds
 * alternated on one database re-render each other's) is rendered again on its first request and
 * stored. Measured without this, the QR share was those first requests (1.7-3.7 ms each against
 * ~0.5 for a stored PNG served again), not the steady state the mix stands for. What the first
 * requests cost is logged.
 */
async function warmQrImages(ctx: BenchContext, passIds: string[], headers: Record<string, string>): Promise<void> {
  let next = 0;
  const before = cpuMs(ctx.apiPid);
  const measured = await measure({
    url: ctx.apiUrl,
    amount: passIds.length,
    connections: BREAKDOWN_CONNECTIONS,
    headers,
    requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/passes/${passIds[next++ % passIds.length]}/qr` }) }],
  });
  const after = cpuMs(ctx.apiPid);
  const perRequest = before === undefined || after === undefined ? 'not measured' : `${((after - before) / measured.total).toFixed(2)} ms`;
  ctx.log(`mixed: QR images asked for once each before measuring: ${measured.total} passes, API CPU ${perRequest} per request`);
}

export async function benchMixed(ctx: BenchContext): Promise<BenchRow[]> {
  const knex = createKnex(ctx.databaseUrl, 2, 0);
  const json = { 'content-type': 'application/json' };
  try {
    const studentIds = (await knex('students').where({ status: 'active' }).whereNull('deleted_at').limit(2000).pluck('id')) as string[];
    const passes = (await knex('passes').whereNot('key_id', 'seed').where('status', 'active').limit(2000).select('id', 'qr_token')) as {
      id: string;
      qr_token: string;
    }[];
    const terms = (await knex('students').limit(500).pluck('last_name')) as string[];
    if (!passes.length) throw new Error('the mixed bench needs issued passes: run the passes group first (BENCH_ONLY=passes,mixed)');
    const upload = multipart(samplePdf(256 * 1024));
    const staff = { authorization: `Bearer ${ctx.tokens.staff}` };
    const security = { authorization: `Bearer ${ctx.tokens.security}` };
    const student = { authorization: `Bearer ${ctx.tokens.student}` };
    const hour = 3_600_000;
    const now = Math.floor(Date.now() / hour) * hour;
    const shares: Share[] = [
      // Reads, 70 %.
      {
        name: 'student by id',
        sla: 'student_queries',
        percent: 30,
        headers: staff,
        requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/students/${pick(studentIds)}` }) }],
      },
      {
        name: 'search',
        sla: 'student_queries',
        percent: 20,
        headers: staff,
        requests: [
          { method: 'GET', setupRequest: (r) => ({ ...r, path: `/students/search?q=${encodeURIComponent(pick(terms))}&limit=20` }) },
        ],
      },
      {
        name: 'QR',
        sla: 'pass_generation',
        percent: 10,
        headers: staff,
        requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/passes/${pick(passes).id}/qr` }) }],
      },
      {
        name: 'analytics',
        sla: 'analytics',
        percent: 10,
        headers: staff,
        requests: [
          {
            method: 'GET',
            setupRequest: (r) => ({
              ...r,
              path: `/analytics/verifications?granularity=hour&from=${new Date(now - 24 * hour).toISOString()}&to=${new Date(now).toISOString()}`,
            }),
          },
        ],
      },
      // Writes, 20 %.
      {
        name: 'verification',
        sla: 'pass_generation',
        percent: 14,
        headers: { ...security, ...json },
        requests: [
          {
            method: 'POST',
            path: '/passes/verify',
            setupRequest: (r) => ({
              ...r,
              body: JSON.stringify({ code: pick(passes).qr_token, gate: 'main-gate', direction: pick(['entry', 'exit']) }),
            }),
          },
        ],
      },
      {
        name: 'pass generation',
        sla: 'pass_generation',
        percent: 4,
        headers: { ...staff, ...json },
        requests: [passGenerationRequest(studentIds)],
      },
      {
        name: 'login',
        sla: 'auth',
        percent: 2,
        headers: json,
        requests: [
          {
            method: 'POST',
            path: '/auth/login',
            setupRequest: (r) => ({
              ...r,
              body: JSON.stringify({ email: `user${Math.floor(Math.random() * 10_000)}@university.edu`, password: SEED_PASSWORD }),
            }),
          },
        ],
      },
      // File uploads, 10 %.
      {
        name: 'upload (256 KB PDF)',
        sla: 'uploads',
        percent: 10,
        headers: { ...student, 'content-type': upload.type },
        requests: [{ method: 'POST', path: '/uploads', body: upload.body }],
      },
    ];
    await warmQrImages(
      ctx,
      passes.map((p) => p.id),
      staff,
    );
    const cores = cpus().length;
    let held: { rate: number; results: [Share, Measured][] } | undefined;
    let broke = '';
    const step = (rate: number, duration: number) =>
      Promise.all(
        shares.map(async (share): Promise<[Share, Measured]> => {
          const shareRate = Math.max(1, Math.round((rate * share.percent) / 100));
          const measured = await measure({
            url: ctx.apiUrl,
            duration,
            connections: Math.max(1, Math.min(shareRate, 32)),
            overallRate: shareRate,
            ...(share.headers ? { headers: share.headers } : {}),
            requests: share.requests,
          });
          return [share, measured];
        }),
      );
    // A first, unmeasured step: new connections, cold caches and pools would otherwise be the p95 of the lowest rate.
    await step(RATES[0]!, 3);
    // The API's own CPU per request of the mix, step by step: unlike latency, it barely moves
    // with what else the machine runs, so it bounds the rate per core even on a busy machine.
    const cpuPerRequest: number[] = [];
    for (const rate of RATES) {
      ctx.log(`mixed: ${rate} req/s`);
      const cpuBefore = cpuMs(ctx.apiPid);
      const results = await step(rate, ctx.durationSeconds);
      const cpuAfter = cpuMs(ctx.apiPid);
      const served = results.reduce((sum, [, m]) => sum + m.total, 0);
      if (cpuBefore !== undefined && cpuAfter !== undefined && served > 0) cpuPerRequest.push((cpuAfter - cpuBefore) / served);
      const breaking = results.filter(
        ([share, m]) => m.p95 > SLA_CLASSES[share.sla].p95Seconds * 1000 || m.errors > 0.01 * Math.max(m.total, 1),
      );
      const summary = results.map(([s, m]) => `${s.name} p95 ${m.p95.toFixed(0)} ms${m.errors ? ` (${m.errors} failed)` : ''}`).join(', ');
      const cpu = cpuPerRequest.at(-1);
      ctx.log(`mixed ${rate} req/s: ${summary}${cpu === undefined ? '' : `; API CPU ${cpu.toFixed(2)} ms per request`}`);
      if (breaking.length) {
        broke = `at ${rate} req/s: ${breaking.map(([s, m]) => `${s.name} p95 ${m.p95.toFixed(0)} ms vs ${SLA_CLASSES[s.sla].p95Seconds * 1000} ms${m.errors ? `, ${m.errors} of ${m.total} failed` : ''}`).join('; ')}`;
        break;
      }
      held = { rate, results };
    }
    const breakdown = await cpuByShare(ctx, shares);
    const total = (held?.results ?? []).reduce((sum, [, m]) => sum + m.rps, 0);
    const worst = (held?.results ?? []).reduce((a, [, m]) => Math.max(a, m.p95), 0);
    return [
      {
        name: `mixed workload (seed mix), highest rate with every SLA held, ${cores} cores`,
        rps: total,
        p50: 0,
        p95: worst,
        p99: 0,
        errors: 0,
        ceilingName: "seed: 1,850 req/s on 16 cores, per core × this machine's cores",
        ceilingRps: SEED_PER_CORE * cores,
        notes: `${cpuNote(cpuPerRequest)}; ${breakdown}; ${held ? `held at ${held.rate} req/s asked (${total.toFixed(0)} served, ${(total / cores).toFixed(0)} per core vs the seed's ${SEED_PER_CORE.toFixed(0)})` : `no step held (lowest ${RATES[0]} req/s)`}; broke ${broke || `nowhere up to ${RATES[RATES.length - 1]} req/s`}`,
      },
    ];
  } finally {
    await knex.destroy();
  }
}
