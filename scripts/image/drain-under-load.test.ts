/**
 * SIGTERM to PID 1 of the image, under load: the API and the workers run from the runtime tree in
 * a container-shaped sandbox (testing/container-sandbox.ts: PID 1 of their own PID namespace,
 * nobody, read-only root, only their volumes writable), and the signal is sent to that PID 1 from
 * outside, as the container runtime sends it when the kubelet stops a pod.
 *
 * - The API, with gates verifying passes at a steady rate (testing/chaos/gate-load.ts): no request
 *   is reset or left unanswered, every verification answered 200 has its access-log row in
 *   Postgres (counted by request id), and the process exits 0. The load goes on for 2 s after
 *   readiness has turned 503, as load balancers do until the terminating endpoint is gone.
 * - The workers: a job in flight when SIGTERM arrives finishes before the exit (within the grace
 *   period), or, when it outlasts the grace period, is taken over by another worker; none is lost.
 *
 * The world (Postgres, Redis, accounts, passes) is the chaos suite's (testing/chaos/environment.ts):
 * servers of this test's own. Its development API issues the passes and is stopped before the
 * image's API starts on the same database, Redis and signing key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../core/ports.js';
import { startChaosEnvironment, type ChaosEnvironment, type Pass } from '../../testing/chaos/environment.js';
import { GateLoad } from '../../testing/chaos/gate-load.js';
import { emptyDir, runSandboxed, type SandboxedProcess } from '../../testing/container-sandbox.js';
import { eventually } from '../../testing/eventually.js';
import { samplePdf } from '../../testing/worker-process.js';
import { assembleRuntimeTree, runtimeImageConfig } from '../../testing/runtime-tree.js';

const STORAGE = '/var/lib/passplatform/storage';
const SPILL = '/var/lib/passplatform/access-log-spill';
/** Verifications a second the gates ask for (the machine may deliver fewer; nothing depends on it). */
const GATE_RATE = 40;

let tree: string;
let world: ChaosEnvironment;
let passes: Pass[];
const volumes = { tmp: emptyDir('pp-drain-tmp-'), storage: emptyDir('pp-drain-storage-'), spill: emptyDir('pp-drain-spill-') };
const running: SandboxedProcess[] = [];

before(async () => {
  tree = assembleRuntimeTree();
  const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  world = await startChaosEnvironment({
    PASS_SIGNING_KEY: signingKey,
    PASS_SIGNING_KEY_ID: 'ed25519-drain',
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
    TRUST_PROXY: 'false',
  });
  passes = await world.issuePasses(40);
  assert.equal(await world.stopApi(), 0);
});

after(async () => {
  for (const process of running) if (process.child.exitCode === null) await process.signal('SIGKILL').catch(() => undefined);
  await Promise.all(running.map((p) => p.exited));
  await world?.teardown();
  for (const dir of [tree, ...Object.values(volumes)]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A process of the image: the world's settings, the paths a pod gives it, production unless told. */
function startFromImage(command: string[], overrides: Record<string, string>): SandboxedProcess {
  const image = runtimeImageConfig();
  const started = runSandboxed({
    tree,
    workingDir: image.workingDir,
    command,
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/',
      ...image.env,
      ...world.env,
      NODE_ENV: 'production',
      STORAGE_DIR: STORAGE,
      ACCESS_LOG_SPILL_DIR: SPILL,
      LOG_LEVEL: 'info',
      ...overrides,
    },
    mounts: [
      { mountPath: '/tmp', hostDir: volumes.tmp },
      { mountPath: STORAGE, hostDir: volumes.storage },
      { mountPath: SPILL, hostDir: volumes.spill },
    ],
  });
  running.push(started);
  return started;
}

async function status(url: string): Promise<number | undefined> {
  return fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    () => undefined,
  );
}

async function startApi(): Promise<SandboxedProcess> {
  const api = startFromImage(['node', 'dist/api/main.js'], {});
  await eventually(async () => (await status(`${world.url}/ready`)) === 200, `the image's API ready\n${api.output()}`, 180_000);
  return api;
}

describe('SIGTERM to PID 1 of the image', { timeout: 1_200_000 }, () => {
  it('the API under gate load: no request reset or unanswered, every answered verification logged, exit 0', async () => {
    const api = await startApi();
    const gates = new GateLoad(world.url, world.tokens.security, passes, GATE_RATE);
    gates.start('drain');
    // Under way: verifications are reaching Postgres.
    await eventually(
      async () => Number((await world.knex('access_logs').where('request_id', 'like', 'drain-%').count('* as n'))[0]?.n) >= 100,
      'verifications to be logged',
      120_000,
    );
    await api.signal('SIGTERM');
    await eventually(async () => (await status(`${world.url}/ready`)) !== 200, 'readiness to turn away new traffic', 30_000);
    // Load balancers keep sending for a moment after the endpoint goes (the API waits 5 s for
    // them before it closes its listener); anything sent after the close is refused, never reset.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const tally = await gates.stop();
    assert.equal(await api.exited, 0, api.output());

    const unanswered = tally.byStatus['no-answer'] ?? 0;
    assert.equal(unanswered, 0, `requests reset or unanswered: ${JSON.stringify(tally.byStatus)}`);
    assert.deepEqual(
      Object.keys(tally.byStatus).filter((s) => s !== '200' && s !== 'refused'),
      [],
      JSON.stringify(tally.byStatus),
    );
    assert.ok(tally.answered.length >= 20, `verifications answered: ${tally.answered.length}`);
    const logged = await world.knex('access_logs').whereIn('request_id', tally.answered).count('* as n');
    assert.equal(Number(logged[0]?.n), tally.answered.length, 'one access-log row per answered verification');
    assert.deepEqual(
      readdirSync(volumes.spill).filter((f) => f.startsWith('segment-')),
      [],
      'the journal was emptied into Postgres',
    );
    console.log(`drain: ${JSON.stringify(tally.byStatus)}, ${tally.answered.length} answered = ${Number(logged[0]?.n)} rows`);
  });

  describe('the workers', () => {
    let api: SandboxedProcess;
    before(async () => {
      api = await startApi();
    });
    after(async () => {
      await api?.signal('SIGTERM');
      await api?.exited;
    });

    /** Workers of the image; the test-only mid-job pause needs NODE_ENV=test (workers/deps.ts). */
    async function startWorkers(overrides: Record<string, string>): Promise<SandboxedProcess> {
      const port = await freePort();
      const workers = startFromImage(['node', 'dist/workers/main.js'], {
        NODE_ENV: 'test',
        WORKER_QUEUES: 'uploads',
        WORKER_METRICS_PORT: String(port),
        WORKER_LOCK_DURATION_MS: '2000',
        WORKER_STALLED_INTERVAL_MS: '500',
        ...overrides,
      });
      await eventually(async () => (await status(`http://127.0.0.1:${port}/ready`)) === 200, `workers ready\n${workers.output()}`, 180_000);
      return workers;
    }

    async function upload(): Promise<string> {
      // On a machine with every core taken the enqueue can miss Redis' 500 ms deadline: the API
      // answers 503 "retry later" (its row is left to the stranded-job repair), and a client retries.
      const res = await eventually(
        async () => {
          const form = new FormData();
          form.append('file', new Blob([samplePdf(2048)], { type: 'application/pdf' }), 'drain.pdf');
          const answer = await fetch(`${world.url}/uploads`, {
            method: 'POST',
            headers: { authorization: `Bearer ${world.tokens.student}` },
            body: form,
          });
          return answer.status !== 503 && answer;
        },
        'an upload answered other than 503',
        120_000,
      );
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { data: { id: string } }).data.id;
    }

    const row = async (id: string) => (await world.knex('uploads').where({ id }).first()) as { status: string; attempts: number };
    const midJob = (id: string) => eventually(async () => (await row(id)).attempts === 1, 'the job to be in flight', 120_000);

    it('a job in flight finishes before the workers exit 0', async () => {
      const workers = await startWorkers({ WORKER_TEST_DELAY_MS: '3000' });
      const id = await upload();
      await midJob(id);
      await workers.signal('SIGTERM');
      assert.equal(await workers.exited, 0, workers.output());
      assert.equal((await row(id)).status, 'ready');
    });

    it('a job outlasting the grace period is left for another worker, which finishes it', async () => {
      const doomed = await startWorkers({ WORKER_TEST_DELAY_MS: '600000', SHUTDOWN_GRACE_MS: '1000' });
      const id = await upload();
      await midJob(id);
      await doomed.signal('SIGTERM');
      assert.equal(await doomed.exited, 0, doomed.output());
      assert.equal((await row(id)).status, 'queued', 'not finished, not lost');
      const rescuer = await startWorkers({});
      await eventually(async () => (await row(id)).status === 'ready', 'another worker to finish the job', 120_000);
      assert.equal((await row(id)).attempts, 2);
      await rescuer.signal('SIGTERM');
      assert.equal(await rescuer.exited, 0, rescuer.output());
    });
  });
});
