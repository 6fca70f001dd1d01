/**
 * The set-up most API test files share, declared once: before the file's tests, an environment of
 * its own (database, Redis prefix), one API started on it, optionally the workers in this process
 * and a token for each role asked for; after them, everything stopped and removed. Call it at the
 * top of a `describe`; what it holds is read inside tests and later hooks (a file's own `before`,
 * declared after it, runs after it). Tests needing more API processes start them on `world.env`.
 * `useTestDatabase` is the same for tests of data code: a database and a pool, no API.
 */
import { rm } from 'node:fs/promises';
import type { Knex } from 'knex';
import type { Role } from '../api/context.js';
import { createKnex } from '../core/db.js';
import type { RunningWorkers } from '../workers/run.js';
import { createTestEnvironment, type TestApi, type TestEnvironment } from './api.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { heldForTheFile } from './held-for-the-file.js';
import { startTestWorkers } from './worker-process.js';

export interface TestEnvironmentUse {
  /** Settings for every process the file starts (worker queues, limits, timeouts). */
  env?: Record<string, string>;
  /** Roles to hold a bearer token for, each for an account of its own (`t.token(role)`). */
  tokens?: readonly Role[];
  /** Also run the workers in this process, on the same settings. */
  workers?: boolean;
}

export interface UsedTestEnvironment {
  readonly env: TestEnvironment;
  /** The API the file talks to. */
  readonly api: TestApi;
  /** Its base URL. */
  readonly url: string;
  /** The running workers (only with `workers: true`). */
  readonly workers: RunningWorkers;
  /** The token of a role named in `tokens`. */
  token(role: Role): string;
}

interface Started {
  env: TestEnvironment;
  api: TestApi;
  workers: RunningWorkers | undefined;
  tokens: Map<Role, string>;
}

export function useTestEnvironment(label: string, use: TestEnvironmentUse = {}): UsedTestEnvironment {
  const ready = heldForTheFile<Started>(`useTestEnvironment('${label}')`, async (onEnd) => {
    const env = await createTestEnvironment(label);
    onEnd(() => rm(env.env.STORAGE_DIR!, { recursive: true, force: true }));
    onEnd(() => env.teardown());
    Object.assign(env.env, use.env);
    const api = await env.start();
    const workers = use.workers ? await startTestWorkers(env.env) : undefined;
    if (workers) onEnd(() => workers.stop());
    const tokens = new Map<Role, string>();
    for (const role of use.tokens ?? []) tokens.set(role, await env.tokenFor(role));
    return { env, api, workers, tokens };
  });
  return {
    get env() {
      return ready().env;
    },
    get api() {
      return ready().api;
    },
    get url() {
      return ready().api.url;
    },
    get workers() {
      const { workers } = ready();
      if (!workers) throw new Error(`useTestEnvironment('${label}') was not asked for workers`);
      return workers;
    },
    token(role) {
      const token = ready().tokens.get(role);
      if (!token) throw new Error(`useTestEnvironment('${label}') holds no token for ${role}: name it in tokens`);
      return token;
    },
  };
}

export interface UsedTestDatabase {
  readonly database: TestDatabase;
  /** A pool on it, destroyed before the database is dropped. */
  readonly knex: Knex;
}

/**
 * For tests of data code without an API: a migrated database of the file's own and a pool on it
 * (`poolMax` connections, statements cut at `statementTimeoutMs`), dropped after the file's tests.
 */
export function useTestDatabase(label: string, poolMax: number, statementTimeoutMs: number): UsedTestDatabase {
  const ready = heldForTheFile<UsedTestDatabase>(`useTestDatabase('${label}')`, async (onEnd) => {
    const database = await createTestDatabase(label);
    onEnd(() => database.drop());
    const knex = createKnex(database.url, poolMax, statementTimeoutMs);
    onEnd(() => knex.destroy());
    return { database, knex };
  });
  return {
    get database() {
      return ready().database;
    },
    get knex() {
      return ready().knex;
    },
  };
}
