/**
 * Cold start, as a new API pod starts: `node dist/api/main.js` spawned (the image's command), timed
 * from the spawn to the first `/ready` answered 200, BENCH_COLD_STARTS times (default 5) — beside
 * the same for a bare Koa server (Node and Koa loading, nothing of ours) in the same run. The CPU
 * the process spent getting there (user + system, from /proc) is noted too: on a busy machine it
 * moves far less than the wall-clock time does.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ROOT, cpuMs, startApiProcess, stopApiProcess, waitUntilOk } from './api-process.js';
import { percentile, type BenchContext, type BenchRow } from './harness.js';
import { freePort } from '../core/ports.js';

const STARTS = Number(process.env.BENCH_COLD_STARTS ?? 5);

const BARE_KOA = `
import { createServer } from 'node:http';
import Koa from 'koa';
const app = new Koa();
app.use((ctx) => { ctx.body = { data: { status: 'ready' } }; });
createServer(app.callback()).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));`;

interface Starts {
  readyMs: number[];
  cpuMs: number[];
}

async function bareKoaStart(): Promise<{ readyMs: number; cpuMs: number | undefined }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_KOA], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const readyAt = await waitUntilOk(`http://127.0.0.1:${port}/ready`);
    return { readyMs: readyAt - started, cpuMs: cpuMs(child.pid) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

function summary(name: string, starts: Starts) {
  const sorted = [...starts.readyMs].sort((a, b) => a - b);
  const cpu = [...starts.cpuMs].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  return {
    median,
    cpuMedian: percentile(cpu, 50),
    text: `${name} ready in ${sorted.map((ms) => ms.toFixed(0)).join('/')} ms (CPU ${cpu.map((ms) => ms.toFixed(0)).join('/')} ms)`,
  };
}

export async function benchColdStart(ctx: BenchContext): Promise<BenchRow[]> {
  const api: Starts = { readyMs: [], cpuMs: [] };
  const bare: Starts = { readyMs: [], cpuMs: [] };
  ctx.log(`cold start: node dist/api/main.js → /ready, ${STARTS} times, beside a bare Koa server`);
  for (let i = 0; i < STARTS; i++) {
    const koa = await bareKoaStart();
    bare.readyMs.push(koa.readyMs);
    if (koa.cpuMs !== undefined) bare.cpuMs.push(koa.cpuMs);
    const started = await startApiProcess({
      databaseUrl: ctx.databaseUrl,
      redisUrl: ctx.redisUrl,
      redisKeyPrefix: `${ctx.redisKeyPrefix}cold:`,
    });
    const cpu = cpuMs(started.child.pid);
    await stopApiProcess(started);
    api.readyMs.push(started.readyMs);
    if (cpu !== undefined) api.cpuMs.push(cpu);
  }
  const ours = summary('API', api);
  const ceiling = summary('bare Koa', bare);
  const sorted = [...api.readyMs].sort((a, b) => a - b);
  // Rates are starts per second, so the ratio reads like the others: the bare start's time over ours.
  return [
    {
      name: 'cold start: node dist/api/main.js → /ready 200',
      rps: 1000 / ours.median,
      p50: ours.median,
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      errors: 0,
      ceilingName: 'bare Koa process start',
      ceilingRps: 1000 / ceiling.median,
      notes: `${ours.text}; ${ceiling.text}; rates are starts/s`,
    },
  ];
}
