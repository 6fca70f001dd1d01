/**
 * The chaos suite's world: a Postgres and a Redis (append-only) of its own, migrated and seeded,
 * the API as a real process on a fixed port (so it can be stopped and started again), workers as
 * real processes, and the accounts and passes the load uses. Only these servers and processes are
 * ever signalled; the shared Postgres (5432) and Redis (6379) are never touched.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { hashPassword } from '../../api/auth/passwords.js';
import { migrateLatest } from '../../core/migrate.js';
import { freePort } from '../../core/ports.js';
import { spawnWorkerProcess, type WorkerProcess } from '../worker-process.js';
import { spawnApiProcess, type ApiProcess } from '../api-process.js';
import { call } from '../api.js';
import { eventually } from '../eventually.js';
import { startOwnPostgres, type OwnPostgres } from '../postgres-server.js';
import { startOwnRedis, type OwnRedis } from '../redis-server.js';

export interface Pass {
  id: string;
  code: string;
}

export interface ChaosEnvironment {
  postgres: OwnPostgres;
  redis: OwnRedis;
  env: Record<string, string>;
  url: string;
  /** The harness's own view of the database (for counting rows once Postgres is up). */
  knex: Knex;
  tokens: { staff: string; security: string; student: string };
  readonly api: ApiProcess | undefined;
  startApi(): Promise<ApiProcess>;
  /** SIGTERM and wait for the exit code. */
  stopApi(): Promise<number | NodeJS.Signals | null>;
  startWorker(overrides?: Record<string, string>): Promise<WorkerProcess>;
  issuePasses(count: number): Promise<Pass[]>;
  teardown(): Promise<void>;
}

const PASSWORD = 'Chaos-Correct-Horse-7';

/** `env` is merged into every process's environment (e.g. a CPU request, pool sizes). */
export async function startChaosEnvironment(env: Record<string, string> = {}): Promise<ChaosEnvironment> {
  const postgres = await startOwnPostgres();
  let redis: OwnRedis | undefined;
  let world: ChaosEnvironment | undefined;
  try {
    redis = await startOwnRedis({ appendOnly: true });
    world = await setUp(postgres, redis, env);
    return world;
  } finally {
    // A set-up that failed half-way must not leave servers behind.
    if (!world) {
      await redis?.stop();
      postgres.remove();
    }
  }
}

async function setUp(postgres: OwnPostgres, redis: OwnRedis, extraEnv: Record<string, string>): Promise<ChaosEnvironment> {
  const scratch = mkdtempSync(join(tmpdir(), 'pp-chaos-'));
  const workers: WorkerProcess[] = [];
  let api: ApiProcess | undefined;
  const admin = knexFactory({ client: 'pg', connection: postgres.url('postgres'), pool: { min: 0, max: 1 } });
  await admin.raw('create database passplatform');
  await admin.destroy();
  const knex = knexFactory({
    client: 'pg',
    connection: postgres.url('passplatform'),
    pool: { min: 0, max: 4 },
    acquireConnectionTimeout: 5_000,
  });
  await migrateLatest(knex);

  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: postgres.url('passplatform'),
    DATABASE_POOL_MAX: '10',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'pp:chaos:',
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    SHUTDOWN_GRACE_MS: '10000',
    STORAGE_DIR: join(scratch, 'storage'),
    ACCESS_LOG_SPILL_DIR: join(scratch, 'spill'),
    WORKER_QUEUES: 'uploads',
    ...extraEnv,
  };

  async function startApi(): Promise<ApiProcess> {
    api = await spawnApiProcess(env, { LOG_LEVEL: process.env.CHAOS_API_LOG ? 'debug' : 'info', PORT: env.PORT! });
    // CHAOS_API_LOG=<file> keeps the API's log of the run (the suite removes everything else).
    if (process.env.CHAOS_API_LOG) api.child.stdout?.pipe(createWriteStream(process.env.CHAOS_API_LOG, { flags: 'a' }));
    return api;
  }

  const user = async (role: 'staff' | 'security' | 'student', studentRef: string | null = null) => {
    const email = `${role}-${randomUUID().slice(0, 8)}@chaos.test`;
    await knex('users').insert({
      email,
      password_hash: await hashPassword(PASSWORD),
      role,
      display_name: `chaos ${role}`,
      student_ref: studentRef,
    });
    return email;
  };
  const [studentRow] = await knex('students')
    .insert({
      student_id: 'CS2026000001',
      first_name: 'Chaos',
      last_name: 'Monkey',
      email: 'chaos.monkey@university.edu',
      programme: 'computer science',
      year_of_study: 2,
      status: 'active',
    })
    .returning('id');
  const studentId = (studentRow as { id: string }).id;
  const emails = { staff: await user('staff'), security: await user('security'), student: await user('student', studentId) };

  await startApi();
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => (await call(url, 'GET', '/ready')).status === 200, 'the API to be ready', 60_000);
  } catch (err) {
    api?.child.kill('SIGKILL');
    throw err;
  }
  const login = async (email: string) => {
    const res = await call(url, 'POST', '/auth/login', { body: { email, password: PASSWORD } });
    if (res.status !== 200) throw new Error(`chaos login failed: ${res.status}`);
    return res.body.data.token as string;
  };
  const tokens = { staff: await login(emails.staff), security: await login(emails.security), student: await login(emails.student) };

  return {
    postgres,
    redis,
    env,
    url,
    knex,
    tokens,
    get api() {
      return api;
    },
    startApi,
    async stopApi() {
      const running = api;
      if (!running) return null;
      running.child.kill('SIGTERM');
      return running.exited;
    },
    async startWorker(overrides = {}) {
      const worker = await spawnWorkerProcess(env, overrides);
      workers.push(worker);
      return worker;
    },
    async issuePasses(count) {
      const passes: Pass[] = [];
      for (let i = 0; i < count; i++) {
        const res = await call(url, 'POST', '/passes', {
          token: tokens.staff,
          body: { studentId, validUntil: new Date(Date.now() + 24 * 3600_000).toISOString() },
        });
        if (res.status !== 201) throw new Error(`issuing a pass failed: ${res.status} ${JSON.stringify(res.body)}`);
        passes.push({ id: res.body.data.id, code: res.body.data.code });
      }
      return passes;
    },
    async teardown() {
      for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      if (api && api.child.exitCode === null && api.child.signalCode === null) {
        api.child.kill('SIGKILL');
        await api.exited;
      }
      await knex.destroy().catch(() => undefined);
      redis.resume();
      await redis.stop();
      postgres.remove();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
