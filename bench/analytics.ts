/**
 * `GET /analytics/verifications` at the bench's scale (1,000,000 access logs, or 10,000,000 with
 * BENCH_SCALE=large): every request a range never asked before (24 to 623 hours of hourly figures
 * per gate, ending at the current hour or earlier), so no answer comes from the cache and each one
 * reads the rollups (whole days as per-day pieces, whose texts the API keeps at their row version,
 * the cut hours hourly). Beside it: the statement alone over the same ranges, serial on one
 * connection (no HTTP, no cache, no queueing); the rows layout's next new ranges arriving at a
 * fixed rate below saturation (open loop, BENCH_ANALYTICS_OPEN_RATE, default half the closed
 * loop's throughput: the latency an answer sees rather than 32 connections' queue); the same ranges in the `series` layout (per gate,
 * an array per figure: ≈ 7× fewer bytes); and what the same question costs as a plain scan
 * of the access log (the reason for the rollups). The notes carry the CPU per answer of the API, of
 * Postgres and of the load generator (read from /proc: it moves far less with the machine's load
 * than latency does) and the answer's size.
 */
import type autocannon from 'autocannon';
import type { Knex } from 'knex';
import { createKnex } from '../core/db.js';
import { DayTextCache } from '../domain/analytics/day-texts.js';
import { verificationsJson } from '../domain/analytics/repository.js';
import { backendCpu, cpuBetween, cpuMs, peakRssMiB } from './api-process.js';
import { measure, measuredFrom, row, type BenchContext, type BenchRow, type Measured } from './harness.js';
import { measureOpenLoop } from './open-loop.js';
import { ensureAccessLogs } from './passes.js';

const HOUR = 3_600_000;
/** Ranges per end hour: 24 to 623 hours wide. */
const WIDTHS = 600;
/** Coprime with WIDTHS: the widths of any run of requests are spread evenly over 24-623 hours. */
const STRIDE = 119;

/**
 * The i-th range of the uncached workload: each (from, to) pair is new (within a block of 600 the
 * widths are distinct, each block ends an hour earlier), up to 26 days of hours. The width does not
 * grow with i, so a faster API is not handed wider ranges than a slower one.
 */
export function uncachedRange(i: number, now = Date.now()): { from: Date; to: Date } {
  const end = Math.floor(now / HOUR) * HOUR - Math.floor(i / WIDTHS) * HOUR;
  return { from: new Date(end - (24 + ((i * STRIDE) % WIDTHS)) * HOUR), to: new Date(end) };
}

type Layout = 'rows' | 'series';

/** The path of the i-th request of the uncached workload in one answer layout. */
function uncachedAnalyticsPath(layout: Layout, i: number, now: number): string {
  const { from, to } = uncachedRange(i, now);
  const layoutParam = layout === 'rows' ? '' : `&layout=${layout}`;
  return `/analytics/verifications?granularity=hour&from=${from.toISOString()}&to=${to.toISOString()}${layoutParam}`;
}

/** Requests of the uncached workload in one answer layout (`rows`, the default, or `series`). */
export function uncachedAnalyticsRequest(layout: Layout = 'rows', now = Date.now()): autocannon.Request {
  let n = 0;
  return { method: 'GET', setupRequest: (req) => ({ ...req, path: uncachedAnalyticsPath(layout, n++, now) }) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** What "verifications per hour per gate, last 30 days" costs from the rollup and as a plain scan. */
async function rollupVersusScan(knex: Knex): Promise<string> {
  const since = new Date(Date.now() - 30 * 24 * HOUR);
  const rollup = await timed(() => verificationsJson(knex, { granularity: 'hour', from: since, to: new Date() }));
  const scan = await timed(() =>
    knex.raw(`select date_trunc('hour', occurred_at, 'UTC'), gate, count(*) from access_logs where occurred_at >= ? group by 1, 2`, [
      since,
    ]),
  );
  return `30-day hourly per-gate figures: rollup ${rollup.toFixed(0)} ms vs plain scan ${scan.toFixed(0)} ms`;
}

/**
 * The statement (both reads and the client's parsing) over 60 of the workload's ranges, one at a
 * time, keeping the whole days' texts between them as an API process does.
 */
async function statementAlone(knex: Knex): Promise<Measured> {
  const times: number[] = [];
  const dayTexts = new DayTextCache();
  const started = performance.now();
  for (let i = 0; i < 60; i++) {
    const range = uncachedRange(i * 10);
    times.push(await timed(() => verificationsJson(knex, { granularity: 'hour', ...range }, dayTexts)));
  }
  return measuredFrom(times, (performance.now() - started) / 1000, 0, 60);
}

/**
 * Load on the API with the CPU each answer cost the API, Postgres and the load generator (this
 * process), and the mean answer size (as sent: no compression asked). CPU per answer moves far
 * less with the machine's load than latency does: on 2 cores shared with other work, the
 * throughput is set by the share of the cores each process gets.
 */
async function measureWithCost(
  ctx: BenchContext,
  knex: Knex,
  load: (answered: (bytes: number) => void) => Promise<Measured>,
): Promise<{ measured: Measured; notes: string }> {
  const cpuBefore = cpuMs(ctx.apiPid);
  const postgresBefore = await backendCpu(knex);
  const benchBefore = process.cpuUsage();
  let bytes = 0;
  let answers = 0;
  const measured = await load((answerBytes) => {
    bytes += answerBytes;
    answers++;
  });
  const bench = process.cpuUsage(benchBefore);
  const postgres = cpuBetween(postgresBefore, await backendCpu(knex));
  const cpuAfter = cpuMs(ctx.apiPid);
  const per = (ms: number) => (ms / Math.max(measured.total, 1)).toFixed(2);
  const api = cpuBefore !== undefined && cpuAfter !== undefined ? `API ${per(cpuAfter - cpuBefore)}, ` : '';
  const peak = peakRssMiB(ctx.apiPid);
  return {
    measured,
    notes:
      `CPU per answer: ${api}Postgres ${per(postgres)}, load generator ${per((bench.user + bench.system) / 1000)} ms; ` +
      `answer ${(bytes / Math.max(answers, 1) / 1024).toFixed(0)} KB on average` +
      (peak === undefined ? '' : `; API peak RSS so far ${peak.toFixed(0)} MiB`),
  };
}

export async function benchAnalytics(ctx: BenchContext): Promise<BenchRow[]> {
  const knex = createKnex(ctx.databaseUrl, 2, 0);
  try {
    const accessLogs = await ensureAccessLogs(knex, ctx.log);
    const scale = `${(accessLogs / 1e6).toFixed(1)}M logs`;
    ctx.log(`analytics over ${accessLogs} access logs: the statement alone, then GET /analytics/verifications, distinct ranges`);
    const alone = await statementAlone(knex);
    const ceiling = 'statement alone, serial';
    const headers = { authorization: `Bearer ${ctx.tokens.staff}` };
    const closedLoop = (request: autocannon.Request) => (answered: (bytes: number) => void) =>
      measure({
        duration: ctx.durationSeconds,
        connections: ctx.connections,
        url: ctx.apiUrl,
        headers,
        requests: [{ ...request, onResponse: (_status, body) => answered(body.length) }],
      });
    const now = Date.now();
    const uncached = await measureWithCost(ctx, knex, closedLoop(uncachedAnalyticsRequest('rows', now)));
    // The same workload arriving at a fixed rate below what the closed loop saturated at (evenly
    // spaced, bench/open-loop.ts): the latency an answer sees, not 32 connections' queue. Its
    // ranges continue the closed loop's, so every one is still new.
    const openRate = Number(process.env.BENCH_ANALYTICS_OPEN_RATE ?? Math.max(10, Math.round(uncached.measured.rps / 2)));
    const first = uncached.measured.total + 1;
    const open = await measureWithCost(ctx, knex, (answered) =>
      measureOpenLoop({
        url: ctx.apiUrl,
        rate: openRate,
        durationSeconds: ctx.durationSeconds,
        headers,
        path: (i) => uncachedAnalyticsPath('rows', first + i, now),
        answered,
      }),
    );
    const rows = [
      row(
        `GET /analytics/verifications (uncached, 32 connections closed-loop, ${scale})`,
        uncached.measured,
        ceiling,
        alone,
        `${uncached.notes}; ${await rollupVersusScan(knex)}`,
      ),
      row(
        `GET /analytics/verifications (uncached, open loop at ${openRate} req/s, ${scale})`,
        open.measured,
        ceiling,
        alone,
        `${open.notes}; arrivals evenly spaced, latency from each one's scheduled arrival`,
      ),
    ];
    // The same ranges in the series layout (its cache keys differ: uncached too), when the API has it
    // (BENCH_API_ENTRY may name a build from before it).
    const probe = await fetch(`${ctx.apiUrl}/analytics/verifications?layout=series`, {
      headers: { authorization: `Bearer ${ctx.tokens.staff}` },
    });
    await probe.arrayBuffer();
    if (probe.ok) {
      const series = await measureWithCost(ctx, knex, closedLoop(uncachedAnalyticsRequest('series', now)));
      rows.push(row(`GET /analytics/verifications?layout=series (uncached, ${scale})`, series.measured, ceiling, alone, series.notes));
    } else ctx.log(`no series layout in this API (${probe.status}): its row is skipped`);
    rows.push(row(`analytics statement alone (60 ranges, serial, ${scale})`, alone, ceiling, alone));
    return rows;
  } finally {
    await knex.destroy();
  }
}
