/**
 * Every upload path through the real API, Postgres, Redis, BullMQ and the uploads worker (run in
 * this process): good files of each type, spoofed and corrupt content, oversize bodies, a wrong
 * checksum, and chunked uploads that are truncated, resumed and completed.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { call } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { samplePdf, sampleImage, sha256 } from '../../testing/worker-process.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

const PART_SIZE = 256 * 1024;
const SINGLE_LIMIT = 5 * 1024 * 1024;

// Tests read arbitrary response shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('uploads', () => {
  const world = useTestEnvironment('uploads', {
    env: { UPLOAD_PART_SIZE_BYTES: String(PART_SIZE), CHUNKED_UPLOAD_MAX_BYTES: String(2 * 1024 * 1024), WORKER_QUEUES: 'uploads' },
    workers: true,
    tokens: ['student', 'staff'],
  });
  let otherStudent: string;
  before(async () => {
    otherStudent = await world.env.tokenFor('student');
  });

  async function upload(token: string, bytes: Buffer, filename: string, type: string, fields: Record<string, string> = {}) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([bytes], { type }), filename);
    const res = await fetch(`${world.api.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async function settled(id: string, token = world.token('student')): Promise<Json> {
    return eventually(async () => {
      const res = await call(world.api.url, 'GET', `/uploads/${id}`, { token });
      return res.body.data.status === 'ready' || res.body.data.status === 'rejected' ? res.body.data : undefined;
    }, `upload ${id} to settle`);
  }

  it('accepts a PNG, checks it by content and makes a WebP thumbnail', async () => {
    const png = await sampleImage('png', 800, 600);
    const res = await upload(world.token('student'), png, 'card.png', 'image/png', { checksum: sha256(png) });
    assert.equal(res.status, 202);
    assert.equal(res.body.data.status, 'queued');
    const done = await settled(res.body.data.id);
    assert.equal(done.status, 'ready');
    assert.equal(done.detectedType, 'image/png');
    assert.equal(done.size, png.length);
    assert.equal(done.sha256, sha256(png));
    assert.deepEqual([done.width, done.height], [800, 600]);
    const thumb = await fetch(`${world.api.url}${done.thumbnailUrl}`, { headers: { authorization: `Bearer ${world.token('student')}` } });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    const bytes = Buffer.from(await thumb.arrayBuffer());
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');
    const audit = await world.env.knex('audit_logs').where({ entity_type: 'upload', entity_id: done.id });
    assert.deepEqual(
      audit.map((a) => a.event_type),
      ['upload.ready'],
    );
  });

  it('accepts JPEG, WebP and PDF; PDFs get no thumbnail', async () => {
    const files: [Buffer, string, string][] = [
      [await sampleImage('jpeg'), 'photo.jpg', 'image/jpeg'],
      [await sampleImage('webp'), 'photo.webp', 'image/webp'],
      [samplePdf(), 'letter.pdf', 'application/pdf'],
    ];
    for (const [bytes, name, type] of files) {
      const res = await upload(world.token('student'), bytes, name, type);
      assert.equal(res.status, 202, name);
      const done = await settled(res.body.data.id);
      assert.equal(done.status, 'ready', `${name}: ${done.reason}`);
      assert.equal(done.detectedType, type);
      assert.equal(done.thumbnailUrl === null, type === 'application/pdf');
    }
  });

  it('rejects spoofed, mislabelled and corrupt content, and drops the bytes', async () => {
    const script = Buffer.from('#!/bin/sh\necho pwned\n'.repeat(20));
    const spoofed = await upload(world.token('student'), script, 'selfie.png', 'image/png');
    const mislabelled = await upload(world.token('student'), samplePdf(), 'scan.jpg', 'image/jpeg');
    const png = await sampleImage('png');
    const corrupt = await upload(
      world.token('student'),
      Buffer.concat([png.subarray(0, 64), Buffer.alloc(2000, 7)]),
      'broken.png',
      'image/png',
    );
    const wrongSum = await upload(world.token('student'), png, 'card.png', 'image/png', {
      checksum: sha256(Buffer.from('something else')),
    });
    const expected: [Json, string][] = [
      [spoofed, 'unsupported_type'],
      [mislabelled, 'type_mismatch'],
      [corrupt, 'corrupt_image'],
      [wrongSum, 'checksum_mismatch'],
    ];
    for (const [res, reason] of expected) {
      assert.equal(res.status, 202);
      const done = await settled(res.body.data.id);
      assert.equal(done.status, 'rejected');
      assert.equal(done.reason, reason);
      // The worker deletes the bytes right after committing the decision, so poll for it.
      await eventually(
        async () => (await world.api.deps.storage.stat(`uploads/${done.id}/original`)) === undefined,
        `rejected bytes of ${reason} deleted`,
      );
    }
  });

  it('refuses oversized, malformed and non-multipart single uploads without storing anything', async () => {
    const before = Number((await world.env.knex('uploads').count('* as n'))[0]!.n);
    const big = await upload(world.token('student'), Buffer.alloc(SINGLE_LIMIT + 1, 1), 'big.pdf', 'application/pdf');
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const json = await call(world.api.url, 'POST', '/uploads', { token: world.token('student'), body: { file: 'x' } });
    assert.equal(json.status, 415);
    const noFile = new FormData();
    noFile.append('note', 'hello');
    const empty = await fetch(`${world.api.url}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.token('student')}` },
      body: noFile,
    });
    assert.equal(empty.status, 400);
    const badSum = await upload(world.token('student'), samplePdf(), 'a.pdf', 'application/pdf', { checksum: 'not-hex' });
    assert.equal(badSum.status, 400);
    assert.equal(Number((await world.env.knex('uploads').count('* as n'))[0]!.n), before);
  });

  it('lets owners, staff and admins read an upload, and no other student', async () => {
    const res = await upload(world.token('student'), samplePdf(), 'mine.pdf', 'application/pdf');
    const id = res.body.data.id;
    assert.equal((await call(world.api.url, 'GET', `/uploads/${id}`, { token: world.token('staff') })).status, 200);
    const other = await call(world.api.url, 'GET', `/uploads/${id}`, { token: otherStudent });
    assert.equal(other.status, 403);
    assert.equal(
      (await call(world.api.url, 'GET', '/uploads/00000000-0000-4000-8000-000000000000', { token: world.token('student') })).status,
      404,
    );
    await settled(id);
  });

  describe('chunked', () => {
    const file = samplePdf(3 * PART_SIZE + 1234);
    const parts = [0, 1, 2, 3].map((i) => file.subarray(i * PART_SIZE, (i + 1) * PART_SIZE));

    async function init(
      token = world.token('student'),
      body: Json = { filename: 'thesis.pdf', contentType: 'application/pdf', size: file.length, checksum: sha256(file) },
    ) {
      return call(world.api.url, 'POST', '/uploads/chunked', { token, body });
    }
    const putPart = (id: string, n: number, bytes: Buffer, token = world.token('student')) =>
      call(world.api.url, 'PUT', `/uploads/${id}/parts/${n}`, {
        token,
        raw: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      });
    const complete = (id: string, token = world.token('student')) =>
      call(world.api.url, 'POST', `/uploads/${id}/complete`, { token, body: {} });

    it('refuses a truncated upload, then resumes the missing parts and completes exactly once', async () => {
      const started = await init();
      assert.equal(started.status, 201);
      const { id, partSize, partCount } = started.body.data;
      assert.deepEqual([partSize, partCount], [PART_SIZE, 4]);

      assert.equal((await putPart(id, 1, parts[0]!)).status, 200);
      assert.equal((await putPart(id, 3, parts[2]!)).status, 200);
      // A part cut short in transit is refused and not recorded.
      const short = await putPart(id, 2, parts[1]!.subarray(0, 1000));
      assert.equal(short.status, 422);
      assert.equal(short.body.error.code, 'PART_SIZE_MISMATCH');

      const truncated = await complete(id);
      assert.equal(truncated.status, 422);
      assert.equal(truncated.body.error.code, 'UPLOAD_INCOMPLETE');
      assert.deepEqual(truncated.body.error.details.missingParts, [2, 4]);

      // Resume: the status tells which parts the server holds.
      const status = await call(world.api.url, 'GET', `/uploads/${id}`, { token: world.token('student') });
      assert.deepEqual(status.body.data.receivedParts, [1, 3]);
      assert.equal((await putPart(id, 2, parts[1]!)).status, 200);
      assert.equal((await putPart(id, 4, parts[3]!)).status, 200);
      // Resending a part (a client retry) replaces it.
      assert.equal((await putPart(id, 1, parts[0]!)).status, 200);

      const [first, again] = [await complete(id), await complete(id)];
      assert.equal(first.status, 202);
      assert.equal(again.status, 202);
      const done = await settled(id);
      assert.equal(done.status, 'ready', done.reason);
      assert.equal(done.size, file.length);
      assert.equal(done.sha256, sha256(file));
      assert.equal(done.detectedType, 'application/pdf');
      // The worker removes the parts just after it records the decision.
      await eventually(
        async () => (await world.api.deps.storage.stat(`uploads/${id}/parts/00001`)) === undefined,
        'parts to be removed once assembled',
      );
      const events = await world.env.knex('audit_logs').where({ entity_type: 'upload', entity_id: id });
      assert.equal(events.length, 1);
      assert.equal((await putPart(id, 1, parts[0]!)).status, 409);
    });

    it('rejects a chunked upload whose bytes do not match the declared checksum', async () => {
      const started = await init(world.token('student'), { filename: 'x.pdf', size: file.length, checksum: sha256(Buffer.from('other')) });
      const { id } = started.body.data;
      for (const [i, part] of parts.entries()) assert.equal((await putPart(id, i + 1, part)).status, 200);
      assert.equal((await complete(id)).status, 202);
      const done = await settled(id);
      assert.equal(done.status, 'rejected');
      assert.equal(done.reason, 'checksum_mismatch');
    });

    it("refuses oversize uploads and parts, parts out of range, and other people's uploads", async () => {
      const tooBig = await init(world.token('student'), { filename: 'huge.pdf', size: 2 * 1024 * 1024 + 1, checksum: sha256(file) });
      assert.equal(tooBig.status, 413);
      const { id } = (await init()).body.data;
      const oversizePart = await putPart(id, 1, Buffer.concat([parts[0]!, Buffer.alloc(10)]));
      assert.equal(oversizePart.status, 413);
      assert.equal((await putPart(id, 5, parts[0]!)).status, 422);
      assert.equal((await putPart(id, 1, parts[0]!, otherStudent)).status, 403);
      assert.equal((await complete(id, otherStudent)).status, 403);
      const notOctets = await call(world.api.url, 'PUT', `/uploads/${id}/parts/1`, { token: world.token('student'), body: { a: 1 } });
      assert.equal(notOctets.status, 415);
    });
  });
});
