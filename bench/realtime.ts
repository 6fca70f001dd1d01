/**
 * The WebSocket rows of `npm run bench`: BENCH_WS_CONNECTIONS (default 10,000) sockets held on the
 * real API process, gate verdicts published through Redis (the same publisher the API uses),
 * publish-to-receive latency per delivery — beside a bare `ws` broadcast server holding as many
 * sockets, fed the same frames at the same rate, step by step in the same run. Two shapes:
 *
 * - BENCH_WS_AUDIENCE (default 1,000) of the sockets read the gate feed and the rest are held idle
 *   (authenticated on their notifications, heartbeated): a campus with 1,000 dashboards open;
 * - broadcast: every socket reads the feed, so each verdict is one burst of 10,000 writes; the
 *   offered rate steps up through BENCH_WS_RATES (deliveries/s, default 15,000 — the goal — then
 *   higher) to find the highest rate each side sustains.
 *
 * The sockets are held by BENCH_WS_CLIENT_PROCESSES client processes per side (default 4,
 * bench/realtime-clients.ts): one process reading every socket was the bottleneck of both rows.
 * Latency is read on the machine-wide monotonic clock (bench/realtime-stamp.ts). The offered load
 * is paced: rate ÷ readers verdicts per second on an exact schedule, for BENCH_DURATION seconds (at
 * least 10). A step is sustained when every delivery arrived within SETTLE_MS of the last publish.
 * Each step also reports the server process's CPU per delivery (/proc; far steadier than rates on
 * a shared machine) and, for the API, `GET /health` timed every PROBE_EVERY_MS meanwhile.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../core/logger.js';
import { RealtimePublisher } from '../core/realtime/publisher.js';
import { closeRedis, createRedis } from '../core/redis.js';
import { cpuMs } from './api-process.js';
import { percentile, row, type BenchContext, type BenchRow, type Measured } from './harness.js';
import type { ClientCommand, ClientReply } from './realtime-clients.js';
import { monotonicMs, stamp } from './realtime-stamp.js';
import { gateVerdictAt } from '../testing/realtime-client.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 10_000);
const CLIENT_PROCESSES = Number(process.env.BENCH_WS_CLIENT_PROCESSES ?? 4);
/** Of the held sockets, how many read the feed in the first shape (the rest are held idle). */
const AUDIENCE = Number(process.env.BENCH_WS_AUDIENCE ?? 1_000);
const RATES = (process.env.BENCH_WS_RATES ?? '15000,30000,45000,60000,90000').split(',').map(Number);
/** A step whose deliveries are not all in this long after its last publish fell behind. */
const SETTLE_MS = 2_000;
/** How long a step that fell behind is waited for before its missing deliveries count as errors. */
const GIVE_UP_MS = 10_000;
const PROBE_EVERY_MS = 20;

type Reply<T extends ClientReply['type']> = Extract<ClientReply, { type: T }>;

/** The client processes, driven together. */
class ClientFleet {
  private constructor(private readonly children: ChildProcess[]) {}

  static start(processes: number): ClientFleet {
    return new ClientFleet(
      Array.from({ length: processes }, () =>
        fork(join(HERE, 'realtime-clients.ts'), [], {
          execArgv: ['--import', 'tsx'],
          serialization: 'advanced',
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      ),
    );
  }

  /** Sends a command to each process (or the ones given per process) and waits for every answer. */
  private ask<T extends ClientReply['type']>(answer: T, command: ClientCommand | ((index: number) => ClientCommand)): Promise<Reply<T>[]> {
    return Promise.all(
      this.children.map(
        (child, index) =>
          new Promise<Reply<T>>((resolve, reject) => {
            const onMessage = (message: ClientReply) => {
              if (message.type !== answer) return;
              child.off('message', onMessage);
              child.off('exit', onExit);
              resolve(message as Reply<T>);
            };
            const onExit = (code: number | null) => reject(new Error(`a bench client process exited (${code})`));
            child.on('message', onMessage);
            child.once('exit', onExit);
            child.send(typeof command === 'function' ? command(index) : command);
          }),
      ),
    );
  }

  /** Opens a group of `count` sockets spread evenly over the processes; resolves with how many are open in all. */
  async open(group: string, url: string, count: number, headers: Record<string, string>, readyWhen: 'open' | 'welcome'): Promise<number> {
    const n = this.children.length;
    const share = (index: number) => Math.floor(count / n) + (index < count % n ? 1 : 0);
    const opened = await this.ask('opened', (index) => ({ type: 'open', group, url, count: share(index), headers, readyWhen }));
    return opened.reduce((sum, reply) => sum + reply.held, 0);
  }

  /** Closes a group's sockets; resolves with how many are still open. */
  async drop(group: string): Promise<number> {
    return (await this.ask('dropped', { type: 'drop', group })).reduce((sum, reply) => sum + reply.held, 0);
  }

  async record(): Promise<void> {
    await this.ask('recording', { type: 'record' });
  }

  async received(): Promise<number> {
    return (await this.ask('count', { type: 'count' })).reduce((sum, reply) => sum + reply.received, 0);
  }

  report(): Promise<Reply<'report'>[]> {
    return this.ask('report', { type: 'report' });
  }

  async close(): Promise<void> {
    const exited = this.children.map(
      (child) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(0))),
    );
    await this.ask('closed', { type: 'close' }).catch(() => undefined);
    await Promise.all(exited);
  }

  kill(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

interface Step extends Measured {
  offered: number;
  held: number;
  sustained: boolean;
  /** The longest any client process's event loop was held up: how long a frame could wait in the client. */
  clientDelayMax: number;
  /** The server process's CPU (user + system, kernel writes included) per delivery, µs: moves far less with the machine's load than rates do. */
  serverCpuUs: number | undefined;
  /** p99 of `GET /health` on the server, sent every PROBE_EVERY_MS while publishing (API only). */
  probeP99: number | undefined;
  load: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes `offered ÷ readers` verdicts per second on an exact schedule for `seconds`, then collects the deliveries. */
/**
 * Times `GET url` every PROBE_EVERY_MS until `stop` resolves: how long an ordinary request waits
 * while the server fans out (a fan-out that holds the event loop holds every request with it).
 */
async function probeWhile(url: string | undefined, stop: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  if (!url) return times;
  let stopped = false;
  void stop.finally(() => (stopped = true));
  while (!stopped) {
    const sent = monotonicMs();
    try {
      await (await fetch(url)).arrayBuffer();
      times.push(monotonicMs() - sent);
    } catch {
      times.push(Number.POSITIVE_INFINITY);
    }
    await sleep(PROBE_EVERY_MS);
  }
  return times.sort((a, b) => a - b);
}

async function runStep(
  fleet: ClientFleet,
  serverPid: number | undefined,
  probeUrl: string | undefined,
  readers: number,
  publish: (at: number) => Promise<unknown> | void,
  offered: number,
  seconds: number,
): Promise<Step> {
  const load = loadavg()[0] ?? 0;
  const perSecond = offered / readers;
  await fleet.record();
  const cpuBefore = cpuMs(serverPid);
  const start = monotonicMs();
  const pending: Promise<unknown>[] = [];
  let published = 0;
  const publishing = (async () => {
    for (;;) {
      const due = start + ((published + 1) / perSecond) * 1000;
      if (due - start > seconds * 1000) break;
      await sleep(Math.max(0, due - monotonicMs()));
      pending.push(Promise.resolve(publish(monotonicMs())));
      published++;
    }
    await Promise.all(pending);
  })();
  const probes = await probeWhile(probeUrl, publishing);
  await publishing;
  const lastPublish = monotonicMs();
  const expected = published * readers;
  let received = await fleet.received();
  while (received < expected && monotonicMs() - lastPublish < GIVE_UP_MS) {
    await sleep(100);
    received = await fleet.received();
  }
  const cpuAfter = cpuMs(serverPid);
  const reports = await fleet.report();
  const latencies = new Float64Array(reports.reduce((sum, r) => sum + r.latencies.length, 0));
  let offset = 0;
  for (const r of reports) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  latencies.sort();
  const sorted = Array.from(latencies);
  const lastReceivedAt = Math.max(...reports.map((r) => r.lastReceivedAt));
  const total = reports.reduce((sum, r) => sum + r.received, 0);
  return {
    offered,
    rps: total / ((Math.max(lastReceivedAt, start + seconds * 1000) - start) / 1000),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: Math.max(0, expected - total),
    total,
    held: reports.reduce((sum, r) => sum + r.held, 0),
    sustained: total >= expected && lastReceivedAt - lastPublish <= SETTLE_MS,
    clientDelayMax: Math.max(...reports.map((r) => r.loopDelayMaxMs)),
    probeP99: probes.length ? percentile(probes, 99) : undefined,
    serverCpuUs: cpuBefore !== undefined && cpuAfter !== undefined && total > 0 ? ((cpuAfter - cpuBefore) * 1000) / total : undefined,
    load,
  };
}

function verdictFrame(at: number): string {
  return JSON.stringify({
    type: 'event',
    channel: 'gates',
    id: `${Date.now()}-0`,
    event: 'gate.verdict',
    at: Date.now(),
    data: gateVerdictAt(stamp(at)),
  });
}

const ms = (n: number) => n.toFixed(1);
const describe = (s: Step) =>
  `${Math.round(s.rps)}/s of ${s.offered} offered, p50/p95/p99 ${ms(s.p50)}/${ms(s.p95)}/${ms(s.p99)} ms, ` +
  `server CPU ${s.serverCpuUs === undefined ? '?' : s.serverCpuUs.toFixed(1)} µs/delivery, ` +
  (s.probeP99 === undefined ? '' : `GET /health p99 ${ms(s.probeP99)} ms meanwhile, `) +
  `client loop delay max ${ms(s.clientDelayMax)} ms, ${s.errors} undelivered, load ${s.load.toFixed(1)}`;

/** The highest sustained step, or the first step when none was. */
function best(steps: Step[]): Step {
  const sustained = steps.filter((s) => s.sustained);
  return (sustained.length ? sustained : steps).reduce((a, b) => (b.rps > a.rps ? b : a));
}

/** One side of the comparison: its client processes, how to reach it, and how to publish to it. */
interface Side {
  name: string;
  pid: number | undefined;
  probeUrl?: string;
  clients: ClientFleet;
  feedUrl: string;
  idleUrl: string;
  headers: Record<string, string>;
  readyWhen: 'open' | 'welcome';
  publish(at: number): Promise<unknown> | void;
}

export async function benchRealtime(ctx: BenchContext): Promise<BenchRow[]> {
  const seconds = Math.max(ctx.durationSeconds, 10);
  const ceiling = fork(join(HERE, 'ws-ceiling-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const redis = createRedis({ url: ctx.redisUrl });
  const publisher = new RealtimePublisher({
    redis,
    keyPrefix: ctx.redisKeyPrefix,
    historyLength: 100,
    historyTtlSeconds: 3600,
    logger: createLogger('bench', 'warn'),
  });
  const apiWs = `${ctx.apiUrl.replace(/^http/, 'ws')}/realtime/ws`;
  const api: Side = {
    name: 'API feed',
    pid: ctx.apiPid,
    probeUrl: `${ctx.apiUrl}/health`,
    clients: ClientFleet.start(CLIENT_PROCESSES),
    feedUrl: `${apiWs}?channels=gates`,
    // Connected, authenticated and heartbeated, but nobody publishes to them: a student waiting for news.
    idleUrl: `${apiWs}?channels=notifications`,
    headers: { authorization: `Bearer ${ctx.tokens.security}` },
    readyWhen: 'welcome',
    publish: (at) => publisher.gateVerdict(gateVerdictAt(stamp(at))),
  };
  const bare: Side = {
    name: 'bare ws',
    pid: ceiling.pid,
    clients: ClientFleet.start(CLIENT_PROCESSES),
    feedUrl: '',
    idleUrl: '',
    headers: {},
    readyWhen: 'open',
    publish: (at) => void ceiling.send({ frame: verdictFrame(at) }),
  };
  const sides = [bare, api];
  const step = async (side: Side, readers: number, offered: number) => {
    const result = await runStep(side.clients, side.pid, side.probeUrl, readers, (at) => side.publish(at), offered, seconds);
    ctx.log(`  ${side.name.padEnd(8)} ${describe(result)}`);
    return result;
  };
  try {
    const port = await new Promise<number>((resolve) => ceiling.once('message', (m: { port: number }) => resolve(m.port)));
    bare.feedUrl = `ws://127.0.0.1:${port}/feed`;
    bare.idleUrl = `ws://127.0.0.1:${port}/idle`;
    const audience = Math.min(AUDIENCE, CONNECTIONS);
    const goal = RATES[0] ?? 15_000;

    // Shape 1: CONNECTIONS held, AUDIENCE of them reading the feed.
    ctx.log(
      `websocket: ${CONNECTIONS} sockets held on each side, ${audience} reading the feed (${CLIENT_PROCESSES} client processes per side)`,
    );
    const held = new Map<Side, number>();
    for (const side of sides) {
      await side.clients.open('feed', side.feedUrl, audience, side.headers, side.readyWhen);
      held.set(side, await side.clients.open('idle', side.idleUrl, CONNECTIONS - audience, side.headers, side.readyWhen));
    }
    const audienceSteps = new Map<Side, Step>();
    for (const side of sides) audienceSteps.set(side, await step(side, audience, goal));

    // Shape 2: every held socket reads the feed (each publish fans out to all of them).
    ctx.log(`websocket: broadcast, all ${CONNECTIONS} sockets reading the feed, offered ${RATES.join(', ')} deliveries/s`);
    const readers = new Map<Side, number>();
    for (const side of sides) {
      await side.clients.drop('idle');
      readers.set(side, await side.clients.open('feed', side.feedUrl, CONNECTIONS - audience, side.headers, side.readyWhen));
    }
    const broadcastSteps = new Map<Side, Step[]>(sides.map((side) => [side, []]));
    // Side by side at each offered rate, so both see the same machine load; each stops at its first step not sustained.
    for (const offered of RATES) {
      const going = sides.filter((side) => broadcastSteps.get(side)?.every((s) => s.sustained));
      if (going.length === 0) break;
      for (const side of going) broadcastSteps.get(side)?.push(await step(side, readers.get(side) ?? 0, offered));
    }

    const [apiShaped, bareShaped] = [audienceSteps.get(api) as Step, audienceSteps.get(bare) as Step];
    const [apiAll, bareAll] = [broadcastSteps.get(api) as Step[], broadcastSteps.get(bare) as Step[]];
    const [apiGoal, bareGoal] = [apiAll[0] as Step, bareAll[0] as Step];
    const [apiMax, bareMax] = [best(apiAll), best(bareAll)];
    const sockets = `${held.get(api)} of ${CONNECTIONS} sockets held (ceiling ${held.get(bare)})`;
    return [
      row(
        `WebSocket gate feed: ${CONNECTIONS} held, ${audience} reading, ${goal} deliveries/s offered`,
        apiShaped,
        'bare ws, same sockets and rate',
        bareShaped,
        `${sockets}; API ${describe(apiShaped)}; ceiling ${describe(bareShaped)}`,
      ),
      row(
        `WebSocket gate feed: broadcast to ${CONNECTIONS}, ${goal} deliveries/s offered`,
        apiGoal,
        'bare ws broadcast, same rate',
        bareGoal,
        `${readers.get(api)} reading (ceiling ${readers.get(bare)}); API ${describe(apiGoal)}; ceiling ${describe(bareGoal)}`,
      ),
      row(
        `WebSocket gate feed: broadcast to ${CONNECTIONS}, highest sustained rate`,
        apiMax,
        'bare ws broadcast, highest sustained',
        bareMax,
        `API ${apiMax.sustained ? '' : 'no step sustained; '}${describe(apiMax)}; ceiling ${bareMax.sustained ? '' : 'no step sustained; '}${describe(bareMax)}`,
      ),
    ];
  } finally {
    for (const side of sides) await side.clients.close().catch(() => undefined);
    for (const side of sides) side.clients.kill();
    ceiling.kill('SIGTERM');
    await closeRedis(redis);
  }
}
