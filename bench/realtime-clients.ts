/**
 * One of the real-time bench's client processes (bench/realtime.ts forks several): it holds its
 * share of the WebSocket connections and times every delivery. A single process reading 10,000
 * sockets was the bottleneck of both the API and its bare-`ws` ceiling; spread over processes,
 * each reads a burst's frames in parallel with the others.
 *
 * Latency is publish-to-receive on CLOCK_MONOTONIC (`monotonicMs`), which every process on the
 * machine reads alike, so the publisher's stamp and this process's receive time are one clock.
 * The receive time is taken when `ws` hands the frame over — in the same tick the bytes are read
 * from the socket — so a burst still waiting in this process's queue counts; the process's own
 * event-loop delay is reported beside it, to tell client queueing from server latency.
 *
 * Messages from the parent: `open` (a group of sockets: url, count, headers, readyWhen), `drop` (a
 * group), `record` (forget what came before), `count` (deliveries since), `report` (their latencies), `close`; each is answered.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { monotonicMs, stampOf } from './realtime-stamp.js';

/** Sockets opening at the same time, per process. */
const OPEN_AT_ONCE = 100;

export type ClientCommand =
  | { type: 'open'; group: string; url: string; count: number; headers: Record<string, string>; readyWhen: 'open' | 'welcome' }
  | { type: 'drop'; group: string }
  | { type: 'record' }
  | { type: 'count' }
  | { type: 'report' }
  | { type: 'close' };

export type ClientReply =
  | { type: 'opened'; held: number }
  | { type: 'dropped'; held: number }
  | { type: 'recording' }
  | { type: 'count'; received: number }
  | { type: 'report'; held: number; received: number; lastReceivedAt: number; latencies: Float64Array; loopDelayMaxMs: number }
  | { type: 'closed' };

/** Sockets by group (e.g. the feed's audience and idle connections), so a group can be dropped. */
const groups = new Map<string, WebSocket[]>();
let latencies = new Float64Array(1 << 16);
let received = 0;
let lastReceivedAt = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 1 });

function record(latency: number, now: number): void {
  if (received === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[received++] = latency;
  lastReceivedAt = now;
}

function openOne(sockets: WebSocket[], url: string, headers: Record<string, string>, readyWhen: 'open' | 'welcome'): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['passplatform.v1'], { headers, perMessageDeflate: false });
    ws.on('error', () => undefined);
    ws.once('close', () => resolve());
    ws.on('message', (data) => {
      const now = monotonicMs();
      const frame = data.toString();
      const published = stampOf(frame);
      if (published !== undefined) return record(now - published, now);
      if (readyWhen === 'welcome' && frame.includes('"welcome"')) resolve();
    });
    ws.once('open', () => {
      sockets.push(ws);
      if (readyWhen === 'open') resolve();
    });
  });
}

function held(): number {
  let open = 0;
  for (const sockets of groups.values()) for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) open++;
  return open;
}

function reply(message: ClientReply): void {
  process.send?.(message);
}

async function handle(command: ClientCommand): Promise<void> {
  switch (command.type) {
    case 'open': {
      const sockets = groups.get(command.group) ?? [];
      groups.set(command.group, sockets);
      for (let opened = 0; opened < command.count; opened += OPEN_AT_ONCE)
        await Promise.all(
          Array.from({ length: Math.min(OPEN_AT_ONCE, command.count - opened) }, () =>
            openOne(sockets, command.url, command.headers, command.readyWhen),
          ),
        );
      return reply({ type: 'opened', held: held() });
    }
    case 'drop':
      for (const ws of groups.get(command.group) ?? []) ws.terminate();
      groups.delete(command.group);
      return reply({ type: 'dropped', held: held() });
    case 'record':
      received = 0;
      lastReceivedAt = 0;
      loopDelay.reset();
      loopDelay.enable();
      return reply({ type: 'recording' });
    case 'count':
      return reply({ type: 'count', received });
    case 'report':
      loopDelay.disable();
      return reply({
        type: 'report',
        held: held(),
        received,
        lastReceivedAt,
        latencies: latencies.slice(0, received),
        loopDelayMaxMs: loopDelay.count > 0 ? loopDelay.max / 1e6 : 0,
      });
    case 'close':
      for (const sockets of groups.values()) for (const ws of sockets) ws.terminate();
      groups.clear();
      reply({ type: 'closed' });
      process.disconnect();
      return;
  }
}

process.on('message', (command: ClientCommand) => void handle(command));
