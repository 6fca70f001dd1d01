/**
 * The WebSocket row of `npm run bench`: BENCH_WS_CONNECTIONS (default 10,000) sockets held on the
 * gate feed of the real API process, gate verdicts published through Redis (the same publisher the
 * API uses) at a rate that asks for BENCH_WS_RATE deliveries per second (default 20,000), and
 * publish-to-receive latency per delivery — beside a bare `ws` broadcast server fed the same frames
 * at the same rate in the same run. Clients and publisher share this process, so both latencies
 * are read on one clock (and both include this process's own time to read the frames).
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { createLogger } from '../core/logger.js';
import { RealtimePublisher } from '../core/realtime/publisher.js';
import { closeRedis, createRedis } from '../core/redis.js';
import { percentile, row, type BenchContext, type BenchRow, type Measured } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 10_000);
const DELIVERIES_PER_SECOND = Number(process.env.BENCH_WS_RATE ?? 20_000);
const OPEN_AT_ONCE = 200;
const TICK_MS = 10;
const MARK = 'bench@';

interface Fleet {
  sockets: WebSocket[];
  latencies: number[];
  received: number;
  lastReceivedAt: number;
  failed: number;
}

/** The publish time (performance.now()) a frame carries in its gate name. */
function sentAt(frame: string): number | undefined {
  const at = frame.indexOf(MARK);
  return at < 0 ? undefined : Number.parseFloat(frame.slice(at + MARK.length, frame.indexOf('"', at)));
}

async function openFleet(url: string, count: number, headers: Record<string, string>, readyWhen: 'open' | 'welcome'): Promise<Fleet> {
  const fleet: Fleet = { sockets: [], latencies: [], received: 0, lastReceivedAt: 0, failed: 0 };
  const openOne = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url, ['passplatform.v1'], { headers, perMessageDeflate: false });
      ws.on('error', () => undefined);
      ws.once('close', () => resolve());
      ws.on('message', (data) => {
        const frame = data.toString();
        const published = sentAt(frame);
        if (published === undefined) {
          if (readyWhen === 'welcome' && frame.includes('"welcome"')) resolve();
          return;
        }
        const now = performance.now();
        fleet.latencies.push(now - published);
        fleet.received++;
        fleet.lastReceivedAt = now;
      });
      ws.once('open', () => {
        fleet.sockets.push(ws);
        if (readyWhen === 'open') resolve();
      });
    });
  for (let opened = 0; opened < count; opened += OPEN_AT_ONCE)
    await Promise.all(Array.from({ length: Math.min(OPEN_AT_ONCE, count - opened) }, openOne));
  fleet.failed = count - fleet.sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  return fleet;
}

/** Publishes at `perSecond` for `seconds`, waits for the deliveries, and reduces what arrived. */
async function drive(
  fleet: Fleet,
  publish: (at: number) => Promise<unknown> | void,
  perSecond: number,
  seconds: number,
): Promise<Measured & { held: number }> {
  fleet.latencies.length = 0;
  fleet.received = 0;
  const start = performance.now();
  let published = 0;
  const pending: Promise<unknown>[] = [];
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
    for (; published < due; published++) pending.push(Promise.resolve(publish(performance.now())));
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(pending);
  const held = fleet.sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const expected = published * held;
  const deadline = performance.now() + 10_000;
  while (fleet.received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const sorted = fleet.latencies.sort((a, b) => a - b);
  return {
    rps: fleet.received / ((fleet.lastReceivedAt - start) / 1000),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: fleet.failed + Math.max(0, expected - fleet.received),
    total: fleet.received,
    held,
  };
}

async function closeFleet(fleet: Fleet): Promise<void> {
  for (const ws of fleet.sockets) ws.terminate();
  await new Promise((r) => setTimeout(r, 500));
}

function verdictFrame(at: number): string {
  return JSON.stringify({
    type: 'event',
    channel: 'gates',
    id: `${Date.now()}-0`,
    event: 'gate.verdict',
    at: Date.now(),
    data: verdict(at),
  });
}

function verdict(at: number) {
  return {
    gate: `${MARK}${at.toFixed(3)}`,
    direction: 'entry' as const,
    valid: true,
    reason: null,
    passId: null,
    passType: null,
    checkedAt: new Date().toISOString(),
    degraded: false,
  };
}

export async function benchRealtime(ctx: BenchContext): Promise<BenchRow[]> {
  // May be fractional: 5,000 deliveries/s to 10,000 sockets is one publish every 2 s.
  const publishesPerSecond = DELIVERIES_PER_SECOND / CONNECTIONS;
  const seconds = Math.max(ctx.durationSeconds, 10);

  ctx.log(`websocket ceiling: bare ws broadcast, ${CONNECTIONS} sockets, ${publishesPerSecond} frames/s to each`);
  const ceiling = fork(join(HERE, 'ws-ceiling-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) => ceiling.once('message', (m: { port: number }) => resolve(m.port)));
  const bare = await openFleet(`ws://127.0.0.1:${port}`, CONNECTIONS, {}, 'open');
  const bareResult = await drive(bare, (at) => void ceiling.send({ frame: verdictFrame(at) }), publishesPerSecond, seconds);
  await closeFleet(bare);
  ceiling.kill('SIGTERM');

  ctx.log(`websocket: API gate feed, ${CONNECTIONS} sockets, ${publishesPerSecond} verdicts/s published through Redis`);
  const redis = createRedis({ url: ctx.redisUrl });
  const publisher = new RealtimePublisher({
    redis,
    keyPrefix: ctx.redisKeyPrefix,
    historyLength: 100,
    historyTtlSeconds: 3600,
    logger: createLogger('bench', 'warn'),
  });
  try {
    const api = await openFleet(
      `${ctx.apiUrl.replace(/^http/, 'ws')}/realtime/ws?channels=gates`,
      CONNECTIONS,
      { authorization: `Bearer ${ctx.tokens.security}` },
      'welcome',
    );
    const apiResult = await drive(api, (at) => publisher.gateVerdict(verdict(at)), publishesPerSecond, seconds);
    await closeFleet(api);
    const ceilingLatency = `ceiling p50/p95/p99 ${bareResult.p50.toFixed(1)}/${bareResult.p95.toFixed(1)}/${bareResult.p99.toFixed(1)} ms, ${bareResult.errors} undelivered`;
    const notes = `${apiResult.held} of ${CONNECTIONS} WebSocket connections held (ceiling ${bareResult.held}); ${publishesPerSecond} publishes/s fanned out to each; rates are deliveries/s; ${ceilingLatency}`;
    return [row(`WebSocket gate feed (${CONNECTIONS} sockets)`, apiResult, 'bare ws broadcast', bareResult, notes)];
  } finally {
    await closeRedis(redis);
  }
}
