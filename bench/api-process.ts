/**
 * The API as the benchmarks run it: the compiled build (`node dist/api/main.js`, the pods'
 * command, cdk8s/image-commands.ts), built first when a source file is newer than it, in its own
 * process against the bench database and Redis.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { freePort } from '../core/ports.js';
import { SEED_PASSWORD } from '../scripts/seed.js';

export const ROOT = join(import.meta.dirname, '..');
export const COMPILED_API = join(ROOT, 'dist/api/main.js');

/** The folders whose sources the API build compiles. */
const SOURCE_DIRS = ['api', 'core', 'domain', 'platform-api'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` unless dist/ is newer than every source file it is built from. */
export function ensureCompiledApi(log: (m: string) => void): void {
  const built = existsSync(COMPILED_API) ? statSync(COMPILED_API).mtimeMs : 0;
  if (built > Math.max(...SOURCE_DIRS.map((dir) => newestSource(join(ROOT, dir))))) return;
  log('compiling the API (npm run build)');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

export interface ApiProcessOptions {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** The compiled entry point; another build's (a profile of the code before a change). */
  entry?: string;
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** From spawning the process to the first `/ready` answered 200 (ms). */
  readyMs: number;
}

/** The environment the bench API runs with: production code paths, limits raised out of the way. */
export function benchApiEnvironment(options: ApiProcessOptions, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Production code paths, but the benchmark logs in as the seeded demo accounts, which
    // NODE_ENV=production refuses. Not `test`: that checks every reply against its schema
    // (api/route.ts), work production never does.
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_API_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.redisKeyPrefix,
    // Every bench socket is the one security account's.
    REALTIME_MAX_CONNECTIONS_PER_USER: '1000000',
    JWT_SECRET: randomBytes(32).toString('hex'),
    PASS_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    PASS_SIGNING_KEY_ID: 'bench',
    RATE_LIMIT_PER_MINUTE: '1000000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000000',
    LOGIN_FAILURES_PER_ACCOUNT: '1000000',
    ACCESS_LOG_SPILL_DIR: join(ROOT, '.bench/access-log-spill', String(port)),
  };
}

/** Polls `url` every `intervalMs` until it answers 200; returns when it did (performance.now()). */
export async function waitUntilOk(url: string, timeoutMs = 60_000, intervalMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Starts the compiled API as a pod does (`node dist/api/main.js`) and waits for `/ready`. */
export async function startApiProcess(options: ApiProcessOptions): Promise<ApiProcess> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), options.entry ?? COMPILED_API], {
    env: benchApiEnvironment(options, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before it was ready`))),
  );
  const readyAt = await Promise.race([waitUntilOk(`${url}/ready`), exited]);
  return { url, child, readyMs: readyAt - started };
}

/** The ceiling server (bench/ceiling-server.ts: bare Koa, raw pg, Argon2 alone), as the bench starts it. */
export async function startCeilingProcess(databaseUrl: string, nodeFlags: string[] = []): Promise<ApiProcess> {
  const started = performance.now();
  const child = fork(join(ROOT, 'bench/ceiling-server.ts'), [], {
    execArgv: ['--import', 'tsx', ...nodeFlags],
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return { url: `http://127.0.0.1:${port}`, child, readyMs: performance.now() - started };
}

/** SIGTERM, as the kubelet sends it, and the exit (a --cpu-prof profile is written then). */
export async function stopApiProcess(api: ApiProcess): Promise<void> {
  if (api.child.exitCode !== null) return;
  const exited = new Promise((resolve) => api.child.once('exit', resolve));
  api.child.kill('SIGTERM');
  await exited;
}

/** An access token of a seeded account. */
export async function loginToken(apiUrl: string, email: string): Promise<string> {
  const res = await fetch(`${apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: SEED_PASSWORD }),
  });
  const body = (await res.json()) as { data: { token: string } };
  return body.data.token;
}

/** The peak resident memory (MiB) of a process so far (`VmHWM`), read from /proc. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds (user + system) a live process has used, from /proc (Linux); undefined elsewhere.
 * With `thread`, one thread's only (the process id itself names its main thread, the event loop).
 */
export function cpuMs(pid: number | undefined, thread?: number): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces); utime and stime are the 14th and 15th.
    const fields =
      readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU (ms) spent so far by the Postgres backends serving this database, by pid (the API's pool and
 * the bench's own connections, idle during a measurement). Read from /proc, as the API's is: the
 * server is on this machine, and other databases' backends (other engineers' work) are left out.
 */
export async function backendCpu(knex: Knex): Promise<Map<number, number>> {
  const { rows } = await knex.raw<{ rows: { pid: number }[] }>(
    `select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = cpuMs(pid);
    if (ms !== undefined) cpu.set(pid, ms);
  }
  return cpu;
}

/** CPU the backends spent between two readings (a backend started meanwhile counts from zero). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
