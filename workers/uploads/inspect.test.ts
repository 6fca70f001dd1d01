/**
 * The worker's judgement of stored bytes, on a real filesystem store: a digest computed when the
 * bytes were written is trusted (a PDF is judged from its leading bytes, not read whole again),
 * and without one the bytes are read and hashed, so a declared checksum is always checked.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FileSystemStorage } from '../../core/object-storage.js';
import { sampleImage, samplePdf } from '../../testing/worker-process.js';
import { inspectUpload, type Expectations } from './inspect.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MB = 1024 * 1024;

/** The real store, counting the bytes its readers take out of it. */
class CountingStorage extends FileSystemStorage {
  bytesRead = 0;
  override read(key: string): Readable {
    const stream = super.read(key);
    stream.on('data', (chunk: Buffer) => (this.bytesRead += chunk.length));
    return stream;
  }
}

describe('inspectUpload', () => {
  let dir: string;
  let storage: CountingStorage;
  const pdf = samplePdf(4 * MB);
  const expectFor = (bytes: Buffer, overrides: Partial<Expectations> = {}): Expectations => ({
    declaredSize: bytes.length,
    maxBytes: 5 * MB,
    declaredSha256: null,
    storedSha256: null,
    declaredType: 'application/pdf',
    ...overrides,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-inspect-'));
    storage = new CountingStorage(dir);
    await storage.put('doc', pdf);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trusts the digest computed while storing: a PDF is judged from its first bytes', async () => {
    storage.bytesRead = 0;
    const verdict = await inspectUpload(storage, 'doc', expectFor(pdf, { storedSha256: sha256(pdf), declaredSha256: sha256(pdf) }));
    assert.deepEqual(verdict, { ok: true, type: 'application/pdf', size: pdf.length, sha256: sha256(pdf) });
    // One read stream's first chunk (64 KiB), not the 4 MiB object.
    assert.ok(storage.bytesRead <= 64 * 1024, `read ${storage.bytesRead} bytes`);
  });

  it('holds a declared checksum against the stored digest', async () => {
    const verdict = await inspectUpload(
      storage,
      'doc',
      expectFor(pdf, { storedSha256: sha256(pdf), declaredSha256: sha256(Buffer.from('x')) }),
    );
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.reason, 'checksum_mismatch');
  });

  it('reads and hashes the whole object when no digest was recorded', async () => {
    storage.bytesRead = 0;
    const verdict = await inspectUpload(storage, 'doc', expectFor(pdf));
    assert.equal(verdict.ok && verdict.sha256, sha256(pdf));
    assert.equal(storage.bytesRead, pdf.length);
    const mismatch = await inspectUpload(storage, 'doc', expectFor(pdf, { declaredSha256: sha256(Buffer.from('x')) }));
    assert.equal(!mismatch.ok && mismatch.reason, 'checksum_mismatch');
  });

  it('takes the size from the store, not the recorded digest: a short object is a size mismatch', async () => {
    const verdict = await inspectUpload(storage, 'doc', expectFor(pdf, { declaredSize: pdf.length + 1, storedSha256: sha256(pdf) }));
    assert.equal(!verdict.ok && verdict.reason, 'size_mismatch');
  });

  it('still decodes an image whole for its thumbnail when the digest is known', async () => {
    const png = await sampleImage('png');
    await storage.put('img', png);
    const verdict = await inspectUpload(storage, 'img', expectFor(png, { declaredType: 'image/png', storedSha256: sha256(png) }));
    assert.equal(verdict.ok && verdict.type, 'image/png');
    assert.ok(verdict.ok && verdict.thumbnail && verdict.thumbnail.length > 0);
  });
});
