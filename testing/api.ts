/**
 * Starts real API instances for tests: each test file gets its own database and Redis key prefix,
 * and may start several instances on them (to see invalidation reach another process's cache).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { loadConfig, type Config } from '../core/config.js';
import { createRegistry } from '../core/metrics.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from '../api/app.js';
import { hashPassword } from '../api/auth/passwords.js';
import type { Role } from '../api/context.js';
import type { AnyRoute } from '../api/route.js';
import { createDeps, type ApiResources } from '../api/deps.js';
import { serve } from '../api/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { TEST_REDIS_URL, testRedisPrefix } from './redis.js';
import { tempSpillDir } from './spill.js';

export const TEST_PASSWORD = 'Correct-Horse-Battery-9';

export interface TestApi {
  url: string;
  deps: ApiResources;
  routes: AnyRoute[];
  stop(): Promise<void>;
}

export interface TestEnvironment {
  database: TestDatabase;
  prefix: string;
  env: Record<string, string>;
  /** A primary connection for arranging data directly. */
  knex: Knex;
  start(overrides?: Record<string, string>): Promise<TestApi>;
  createUser(role: Role, opts?: { email?: string; studentRef?: string | null; password?: string }): Promise<{ id: string; email: string }>;
  login(email: string, password?: string): Promise<{ token: string; refreshToken: string }>;
  /** Creates a user of the role and returns a bearer token for it. */
  tokenFor(role: Role, opts?: { studentRef?: string | null }): Promise<string>;
  /** Inserts a student with unique identifiers (fields override the rest) and returns its id. */
  insertStudent(fields?: Record<string, unknown>): Promise<string>;
  teardown(): Promise<void>;
}

export async function createTestEnvironment(label: string): Promise<TestEnvironment> {
  const database = await createTestDatabase(label);
  const redis = testRedisPrefix(label);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    SHUTDOWN_GRACE_MS: '2000',
    STORAGE_DIR: `/tmp/pp-storage-${redis.prefix.replace(/[^a-z0-9]/gi, '')}`,
  };
  const apis: TestApi[] = [];
  let first: ApiResources | undefined;

  async function start(overrides: Record<string, string> = {}): Promise<TestApi> {
    // One spill directory per API instance, as one per pod: instances never replay each other's.
    const config: Config = loadConfig({ ACCESS_LOG_SPILL_DIR: tempSpillDir(), ...env, ...overrides });
    const deps = await createDeps(config, createLogger('api-test', config.LOG_LEVEL), createRegistry('api'));
    const built = buildApp(deps);
    const running = await serve(built, deps, { port: 0, host: '127.0.0.1', graceMs: config.SHUTDOWN_GRACE_MS });
    const api = { url: running.url, deps, routes: built.routes, stop: running.stop };
    apis.push(api);
    first ??= deps;
    return api;
  }

  const knexHolder: { knex?: Knex } = {};
  const base = await start();
  knexHolder.knex = base.deps.db.primary;
  let counter = 0;

  async function createUser(role: Role, opts: { email?: string; studentRef?: string | null; password?: string } = {}) {
    const email = opts.email ?? `${role}-${++counter}-${randomBytes(3).toString('hex')}@university.edu`;
    const [row] = await base.deps.db
      .primary('users')
      .insert({
        email,
        password_hash: await hashPassword(opts.password ?? TEST_PASSWORD),
        role,
        display_name: `${role} ${counter}`,
        student_ref: opts.studentRef ?? null,
      })
      .returning(['id', 'email']);
    return row as { id: string; email: string };
  }

  async function login(email: string, password = TEST_PASSWORD) {
    const res = await fetch(`${base.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const body = (await res.json()) as { data?: { token: string; refreshToken: string } };
    if (res.status !== 200 || !body.data) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    return body.data;
  }

  return {
    database,
    prefix: redis.prefix,
    env,
    knex: base.deps.db.primary,
    start,
    createUser,
    login,
    async tokenFor(role, opts = {}) {
      const user = await createUser(role, opts);
      return (await login(user.email)).token;
    },
    async insertStudent(fields = {}) {
      const n = randomUUID().slice(0, 8);
      const [row] = await base.deps.db
        .primary('students')
        .insert({
          student_id: `CS2026${parseInt(n, 16) % 1_000_000}`,
          first_name: 'Ada',
          last_name: `L${n}`,
          email: `ada-${n}@university.edu`,
          programme: 'computer science',
          year_of_study: 2,
          ...fields,
        })
        .returning('id');
      return (row as { id: string }).id;
    },
    async teardown() {
      await Promise.allSettled(apis.map((a) => a.stop()));
      await redis.cleanup();
      await database.drop();
    },
  };
}

/** fetch with JSON in and out; returns status, headers and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer } = {},
  // Tests read arbitrary response shapes; typing each would add noise without catching anything.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | Buffer | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = JSON.stringify(opts.body);
  }
  const res = await fetch(`${url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // non-JSON bodies (metrics, images) are returned as text
  }
  return { status: res.status, headers: res.headers, body };
}
