/**
 * The workers as real processes (`node --import tsx workers/main.ts`): one is SIGKILLed in the
 * middle of a job and another takes the job over once its lock lapses, with the effect applied
 * exactly once; SIGTERM lets the job in flight finish before the process exits; a redelivered
 * job changes nothing; and the metrics endpoint exports the queue signals.
 *
 * Jobs are made slow deterministically with WORKER_TEST_DELAY_MS (honoured only when
 * NODE_ENV=test): the processor pauses after it has started the job (attempt counted, parts
 * assembled) and before it decides, so "mid-job" is a state the test can wait for.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { loadConfig } from '../core/config.js';
import { bullPrefix, createQueueConnection, jobIdFor, type UploadJobData } from '../core/queues.js';
import { closeRedis, type RedisClient } from '../core/redis.js';
import { createTestEnvironment, type TestApi, type TestEnvironment } from '../testing/api.js';
import { oldestWaitingAgeSeconds } from './metrics.js';
import { eventually } from '../testing/eventually.js';
import { samplePdf, spawnWorkerProcess, type WorkerProcess } from '../testing/worker-process.js';

describe('worker processes', () => {
  let env: TestEnvironment;
  let api: TestApi;
  let student: string;
  let connection: RedisClient;
  let queue: Queue<UploadJobData>;
  const running: WorkerProcess[] = [];

  before(async () => {
    env = await createTestEnvironment('worker-proc');
    Object.assign(env.env, { WORKER_QUEUES: 'uploads', WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '500' });
    api = await env.start();
    student = await env.tokenFor('student');
    connection = createQueueConnection(loadConfig(env.env), 'test');
    queue = new Queue<UploadJobData>('uploads', { connection, prefix: bullPrefix(env.prefix) });
  });
  after(async () => {
    for (const worker of running) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await queue?.close();
    if (connection) await closeRedis(connection);
    await env.teardown();
    await rm(env.env.STORAGE_DIR!, { recursive: true, force: true });
  });

  async function spawn(overrides: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await spawnWorkerProcess(env.env, overrides);
    running.push(worker);
    return worker;
  }

  async function upload(): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([samplePdf(2048)], { type: 'application/pdf' }), 'doc.pdf');
    const res = await fetch(`${api.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${student}` }, body: form });
    assert.equal(res.status, 202);
    return ((await res.json()) as { data: { id: string } }).data.id;
  }

  const row = async (id: string) => (await env.knex('uploads').where({ id }).first()) as { status: string; attempts: number };
  const midJob = (id: string, attempts: number) =>
    eventually(async () => ((await row(id)).attempts === attempts ? true : undefined), 'the job to start');
  const ready = (id: string) =>
    eventually(async () => ((await row(id)).status === 'ready' ? true : undefined), 'the upload to be ready', 30_000);
  const effects = async (id: string) =>
    (await env.knex('audit_logs').where({ entity_type: 'upload', entity_id: id })).map((a) => a.event_type);

  it('a worker SIGKILLed mid-job loses nothing: another takes the job over and applies it once', async () => {
    const doomed = await spawn({ WORKER_TEST_DELAY_MS: '600000' });
    const id = await upload();
    await midJob(id, 1);
    assert.equal(await (await queue.getJob(jobIdFor('uploads', id)))!.getState(), 'active');
    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, 'SIGKILL');
    assert.equal((await row(id)).status, 'queued');

    const rescuer = await spawn();
    await ready(id);
    assert.equal((await row(id)).attempts, 2);
    assert.deepEqual(await effects(id), ['upload.ready']);
    // The row turns ready inside the job; BullMQ marks the job completed once the processor returns.
    const job = (await queue.getJob(jobIdFor('uploads', id)))!;
    await eventually(async () => (await job.getState()) === 'completed', 'the taken-over job to complete');

    // A redelivery of the same work (at-least-once) finds the upload decided and changes nothing.
    const again = await queue.add('process-upload', { uploadId: id, trace: {} }, { jobId: `redelivery-${id}` });
    const result = await eventually(
      async () => ((await again.getState()) === 'completed' ? (await queue.getJob(again.id!))!.returnvalue : undefined),
      'the redelivered job to complete',
    );
    assert.deepEqual(result, { uploadId: id, skipped: 'already ready' });
    assert.deepEqual(await effects(id), ['upload.ready']);

    const metrics = await (await fetch(`${rescuer.metricsUrl}/metrics`)).text();
    assert.match(metrics, /passplatform_jobs_total\{queue="uploads",outcome="completed",component="workers"\} 2/);
    for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'failed']) {
      assert.match(metrics, new RegExp(`passplatform_queue_jobs\\{queue="uploads",state="${state}",component="workers"\\} \\d+`));
    }
    assert.match(metrics, /passplatform_queue_oldest_waiting_age_seconds\{queue="uploads",component="workers"\} 0/);
    assert.match(metrics, /passplatform_job_duration_seconds_count\{[^}]*queue="uploads",outcome="completed"[^}]*\} 2/);

    rescuer.child.kill('SIGTERM');
    assert.equal(await rescuer.exited, 0);
  });

  it('SIGTERM drains: the job in flight finishes before the process exits', async () => {
    const worker = await spawn({ WORKER_TEST_DELAY_MS: '1500' });
    const id = await upload();
    await midJob(id, 1);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    assert.equal((await row(id)).status, 'ready');
    assert.equal((await row(id)).attempts, 1);
    assert.deepEqual(await effects(id), ['upload.ready']);
  });

  it('measures the age of the oldest waiting job while no worker runs, and a worker started later picks it up', async () => {
    const id = await upload();
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok((await oldestWaitingAgeSeconds(queue)) >= 1);
    assert.equal((await queue.getJobCounts('waiting')).waiting, 1);
    const worker = await spawn();
    await ready(id);
    assert.equal(await oldestWaitingAgeSeconds(queue), 0);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
  });
});
