/**
 * A redis-server of a test's own, on a free port with its data in a temp dir, so faults can be
 * injected into it for real: paused (SIGSTOP: hung, not dead), resumed, killed with SIGKILL and
 * restarted from its append-only file on the same port. Only this process is ever signalled;
 * the shared Redis on 6379 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../core/ports.js';
import { eventually } from './eventually.js';

export interface OwnRedis {
  url: string;
  port: number;
  readonly pid: number | undefined;
  /** SIGSTOP: the server keeps its sockets open and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, then waits for the process to be gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data dir (so from its AOF when enabled). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface OwnRedisOptions {
  /** appendonly yes with fsync every write, so a restart finds every acknowledged write. */
  appendOnly?: boolean;
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-own-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
  ];
  if (options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    await eventually(() => answersPing(url), `redis-server on ${port} to answer`, 30_000);
  }

  async function kill(): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    url,
    port,
    get pid() {
      return child?.pid;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    kill,
    restart: start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
