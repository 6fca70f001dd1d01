/**
 * The image, proven without a Docker engine: the runtime tree is assembled as the Dockerfile's
 * last stage assembles it (testing/runtime-tree.ts), and each of the image's commands runs
 * from it as an unprivileged user (nobody) that cannot write to it, reaches readiness, serves,
 * and exits 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageCommand, type ImageProcess } from '../../cdk8s/image-commands.js';
import { freePort } from '../../core/ports.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { eventually } from '../../testing/eventually.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { assembleRuntimeTree, dockerfileStages } from '../../testing/runtime-tree.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
let tree: string;
let scratch: string;
let database: TestDatabase;
const redis = testRedisPrefix('runtime-tree');
const running: ChildProcess[] = [];

function start(
  process: ImageProcess,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('setpriv', [...NOBODY, ...imageCommand(process)], {
    cwd: tree,
    env: { PATH: globalThis.process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  return fetch(url, { headers }).then(
    (r) => r.status,
    () => undefined,
  );
}

function platformEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    PASS_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    PASS_SIGNING_KEY_ID: 'ed25519-runtime-tree',
    TRUST_PROXY: 'false',
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
    STORAGE_DIR: join(scratch, 'storage'),
    ACCESS_LOG_SPILL_DIR: join(scratch, 'access-log-spill'),
    ...extra,
  };
}

before(async () => {
  tree = assembleRuntimeTree();
  scratch = mkdtempSync(join(tmpdir(), 'pp-runtime-scratch-'));
  chmodSync(scratch, 0o777);
  database = await createTestDatabase('runtime-tree');
});

after(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await database?.drop();
  await redis.cleanup();
  rmSync(tree, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('the runtime tree', { timeout: 900_000 }, () => {
  it('is what the Dockerfile’s last stage copies: production node_modules, dist/ and package.json', () => {
    const runtime = dockerfileStages().at(-1);
    assert.equal(runtime?.name, 'runtime');
    assert.deepEqual(
      runtime.instructions.filter((i) => i.startsWith('COPY')),
      [
        'COPY --from=production-dependencies /app/node_modules ./node_modules',
        'COPY --from=build /src/dist ./dist',
        'COPY package.json ./',
      ],
    );
    assert.ok(runtime.instructions.includes('ENTRYPOINT ["node"]'), 'exec-form entrypoint: node is PID 1');
  });

  it('migrates as nobody, twice at once', async () => {
    const runs = [start('migrate', platformEnv({})), start('migrate', platformEnv({}))];
    for (const run of runs) assert.equal(await run.exited, 0, run.output());
  });

  it('runs the API as nobody from its one-file bundle: ready, serving, then a clean exit on SIGTERM with an in-flight request answered', async () => {
    const port = await freePort();
    const env = platformEnv({ PORT: String(port) });
    // The bundle carries the whole API (scripts/bundle-api.ts): with one of the modules it was built
    // from out of the way, the API can only start from it.
    const appModule = join(tree, 'dist/api/app.js');
    renameSync(appModule, `${appModule}.away`);
    const api = start('api', env);
    const base = `http://127.0.0.1:${port}`;
    try {
      await eventually(async () => (await status(`${base}/ready`)) === 200, `api ready\n${api.output()}`, 120_000);
    } finally {
      renameSync(`${appModule}.away`, appModule);
    }
    assert.equal(await status(`${base}/health`), 200);
    assert.equal(await status(`${base}/metrics`), 401, 'metrics need the token');
    assert.equal(await status(`${base}/metrics`, { authorization: `Bearer ${env.METRICS_TOKEN}` }), 200);
    const login = () =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@university.edu', password: 'not-a-password' }),
      }).then((r) => r.status);
    assert.equal(await login(), 401, 'a real query answered');
    api.child.kill('SIGTERM');
    // Production waits for the Service to stop routing before it closes: requests still come in.
    assert.equal(await login(), 401, 'answered while draining');
    assert.equal(await api.exited, 0, api.output());
  });

  it('refuses to start the API, naming the variable, when its access-log journal is not writable', async () => {
    // Without ACCESS_LOG_SPILL_DIR the journal would go under the read-only tree (what the pod had).
    const { ACCESS_LOG_SPILL_DIR: _unset, ...env } = platformEnv({ PORT: String(await freePort()) });
    const api = start('api', env);
    assert.equal(await api.exited, 1);
    assert.match(api.output(), /ACCESS_LOG_SPILL_DIR \(\.data\/access-log-spill\) cannot be written by this process \(EACCES\)/);
    assert.doesNotMatch(api.output(), /\n\s+at /, 'a message, not a stack trace');
  });

  it('runs the workers as nobody: ready, then a clean exit on SIGTERM', async () => {
    const port = await freePort();
    const env = platformEnv({ WORKER_METRICS_PORT: String(port) });
    const workers = start('workers', env);
    await eventually(async () => (await status(`http://127.0.0.1:${port}/ready`)) === 200, `workers ready\n${workers.output()}`, 120_000);
    assert.equal(await status(`http://127.0.0.1:${port}/metrics`), 401, 'metrics need the token');
    assert.equal(await status(`http://127.0.0.1:${port}/metrics`, { authorization: `Bearer ${env.METRICS_TOKEN}` }), 200);
    workers.child.kill('SIGTERM');
    assert.equal(await workers.exited, 0, workers.output());
  });

  it('runs the operator as nobody: serving its probes, guarding its metrics, then a clean exit on SIGTERM', async () => {
    const port = await freePort();
    // A cluster that does not answer: the operator stays a follower, serving its probes.
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
      { mode: 0o644 },
    );
    const operator = start('operator', {
      KUBECONFIG: kubeconfig,
      METRICS_PORT: String(port),
      POD_NAMESPACE: 'pass-system',
      POD_NAME: 'tree',
    });
    await eventually(
      async () => (await status(`http://127.0.0.1:${port}/readyz`)) === 200,
      `operator ready\n${operator.output()}`,
      120_000,
    );
    assert.equal(await status(`http://127.0.0.1:${port}/healthz`), 200);
    // METRICS_AUTHORIZATION defaults to kubernetes: no token, 401; a token the unanswering
    // apiserver cannot review, 503 (never the metrics).
    assert.equal(await status(`http://127.0.0.1:${port}/metrics`), 401, 'metrics need a token');
    assert.equal(await status(`http://127.0.0.1:${port}/metrics`, { authorization: 'Bearer some-token' }), 503);
    operator.child.kill('SIGTERM');
    assert.equal(await operator.exited, 0, operator.output());
  });
});
