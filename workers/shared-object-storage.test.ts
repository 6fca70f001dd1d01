/**
 * Uploads and reports across pods: the API and the workers as two real processes that share only
 * S3 (a real SeaweedFS server, signed requests), Postgres and Redis, as an API pod and a worker
 * pod do. Each process gets a STORAGE_DIR of its own that must stay empty: nothing may travel
 * through a local disk. An upload received by the API lands in the bucket, the worker reads it
 * there, composes chunked parts there and writes the thumbnail there; the API serves the
 * thumbnail and a worker-built report from the bucket.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { spawnApiProcess, type ApiProcess } from '../testing/api-process.js';
import { call, createTestEnvironment, type TestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startSeaweedFs, type SeaweedFs } from '../testing/seaweedfs.js';
import { sampleImage, samplePdf, spawnWorkerProcess, type WorkerProcess } from '../testing/worker-process.js';

const PART_SIZE = 256 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('uploads and reports across processes through S3', () => {
  let s3: SeaweedFs;
  let env: TestEnvironment;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let student: string;
  let staff: string;
  const localDirs: string[] = [];

  /** A STORAGE_DIR of the process's own, which the test requires to stay empty. */
  const ownStorageDir = () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pp-unshared-')), 'storage');
    localDirs.push(dir);
    return dir;
  };

  before(async () => {
    s3 = await startSeaweedFs();
    env = await createTestEnvironment('shared-s3');
    const shared = { ...env.env, ...s3.env, UPLOAD_PART_SIZE_BYTES: String(PART_SIZE) };
    api = await spawnApiProcess(shared, { STORAGE_DIR: ownStorageDir() });
    worker = await spawnWorkerProcess(shared, { STORAGE_DIR: ownStorageDir() });
    student = await env.tokenFor('student');
    staff = await env.tokenFor('staff');
  });
  after(async () => {
    await api?.stop();
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await env?.teardown();
    await s3?.stop();
    for (const dir of localDirs) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  async function bucketKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3.client }, { Bucket: s3.bucket, Prefix: prefix })) {
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    }
    return keys.sort();
  }

  async function bucketObject(key: string): Promise<Buffer> {
    const { Body } = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await Body!.transformToByteArray());
  }

  const settled = (id: string) =>
    eventually(
      async () => {
        const res = await call(api.url, 'GET', `/uploads/${id}`, { token: student });
        return res.body.data.status === 'queued' ? undefined : res.body.data;
      },
      `upload ${id} to be decided by the worker process`,
      60_000,
    );

  it('an image uploaded to the API process is in the bucket, judged by the worker process, its thumbnail served back', async () => {
    const image = await sampleImage('png', 800, 600);
    const form = new FormData();
    form.append('file', new Blob([image], { type: 'image/png' }), 'photo.png');
    const res = await fetch(`${api.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${student}` }, body: form });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = ((await res.json()) as { data: { id: string } }).data;
    assert.ok((await bucketObject(`uploads/${id}/original`)).equals(image), 'the original in the bucket is not the uploaded bytes');

    const done = await settled(id);
    assert.equal(done.status, 'ready', done.reason);
    assert.equal(done.sha256, sha256(image));
    assert.deepEqual(await bucketKeys(`uploads/${id}/`), [`uploads/${id}/original`, `uploads/${id}/thumbnail.webp`]);

    const thumbnail = await fetch(`${api.url}/uploads/${id}/thumbnail`, { headers: { authorization: `Bearer ${student}` } });
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.headers.get('content-type'), 'image/webp');
    const served = Buffer.from(await thumbnail.arrayBuffer());
    assert.ok(served.equals(await bucketObject(`uploads/${id}/thumbnail.webp`)), 'the API did not serve the worker-written thumbnail');
  });

  it('a chunked upload: parts into the bucket through the API, composed there by the worker, parts removed', async () => {
    const file = samplePdf(3 * PART_SIZE + 777);
    const body = { filename: 'thesis.pdf', contentType: 'application/pdf', size: file.length, checksum: sha256(file) };
    const started = await call(api.url, 'POST', '/uploads/chunked', { token: student, body });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const { id, partCount } = started.body.data as { id: string; partCount: number };
    for (let n = 1; n <= partCount; n++) {
      const bytes = file.subarray((n - 1) * PART_SIZE, n * PART_SIZE);
      const put = await call(api.url, 'PUT', `/uploads/${id}/parts/${n}`, {
        token: student,
        raw: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
    }
    assert.equal((await bucketKeys(`uploads/${id}/parts/`)).length, partCount);
    assert.equal((await call(api.url, 'POST', `/uploads/${id}/complete`, { token: student, body: {} })).status, 202);

    const done = await settled(id);
    assert.equal(done.status, 'ready', done.reason);
    assert.equal(done.size, file.length);
    assert.ok((await bucketObject(`uploads/${id}/original`)).equals(file), 'the composed original differs from the file');
    await eventually(async () => (await bucketKeys(`uploads/${id}/parts/`)).length === 0, 'the parts to be removed from the bucket');
  });

  it('a report built by the worker process is downloaded through the API process from the bucket', async () => {
    const created = await call(api.url, 'POST', '/reports', {
      token: staff,
      body: { type: 'daily-summary', range: { from: '2026-03-02', to: '2026-03-03' } },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.data.id as string;
    await eventually(
      async () => {
        const res = await call(api.url, 'GET', `/reports/${id}`, { token: staff });
        if (res.body.data.status === 'failed') throw new Error(res.body.data.error);
        return res.body.data.status === 'completed';
      },
      'the report to be completed by the worker process',
      60_000,
    );
    const csv = await fetch(`${api.url}/reports/${id}/download?format=csv`, { headers: { authorization: `Bearer ${staff}` } });
    assert.equal(csv.status, 200);
    const keys = await bucketKeys('reports/');
    const csvKey = keys.find((key) => key.includes(id) && key.endsWith('.csv'));
    assert.ok(csvKey, `no CSV of report ${id} in the bucket: ${keys.join(', ')}`);
    assert.equal(await csv.text(), (await bucketObject(csvKey)).toString('utf8'));
  });

  it('neither process wrote anything to a local disk', () => {
    for (const dir of localDirs) assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, `${dir} holds files`);
  });
});
