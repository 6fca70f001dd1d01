/**
 * The filesystem store's batched writes and their digest: every size around the batch boundary,
 * chunks of every shape, many puts at once, checked against `sha256sum` (coreutils, an
 * implementation that is not Node's) run on the file the store wrote; and what is left to write
 * after a short `writev`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { FileSystemStorage, ObjectTooLargeError, unwritten } from './object-storage.js';

const BATCH = 256 * 1024;
const root = mkdtempSync(join(tmpdir(), 'pp-fs-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const storage = new FileSystemStorage(root);
const sha256sum = (key: string) =>
  execFileSync('sha256sum', [join(root, key)])
    .toString()
    .split(' ')[0];

/** `bytes` as a stream of chunks of the given lengths, repeated until it is all sent. */
function chunked(bytes: Buffer, lengths: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const length = lengths[i % lengths.length]!;
    chunks.push(bytes.subarray(at, at + length));
    at += length;
  }
  return Readable.from(chunks, { objectMode: false });
}

describe('filesystem store: batched writes and their digest', () => {
  it('stores and digests bodies of every size around the batch boundary, as a buffer and as chunks', async () => {
    const sizes = [0, 1, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH, 3 * BATCH + 17, 5 * 1024 * 1024 + 3];
    for (const size of sizes) {
      const bytes = randomBytes(size);
      for (const [shape, body] of [
        ['buffer', bytes],
        ['64 KiB reads', chunked(bytes, [64 * 1024])],
        ['odd chunks', chunked(bytes, [1, 7_919, 300_000, BATCH, 65_537])],
      ] as const) {
        const key = `sizes/${size}-${shape.replace(/ /g, '-')}`;
        const stored = await storage.put(key, body);
        assert.equal(stored.size, size, `${shape}, ${size} bytes`);
        assert.equal(stored.sha256, sha256sum(key), `${shape}, ${size} bytes: digest`);
        assert.ok(readFileSync(join(root, key)).equals(bytes), `${shape}, ${size} bytes: content`);
      }
    }
  });

  it('keeps the digests of concurrent puts apart', async () => {
    const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(BATCH * (1 + (i % 5)) + i * 1_001));
    const stored = await Promise.all(bodies.map((bytes, i) => storage.put(`concurrent/${i}`, chunked(bytes, [65_536, 12_345]))));
    stored.forEach((object, i) => assert.deepEqual(object, { size: bodies[i]!.length, sha256: sha256sum(`concurrent/${i}`) }));
  });

  it('refuses a body past its limit after several batches, leaves no file, and digests the next put correctly', async () => {
    await assert.rejects(
      storage.put('refused/big', chunked(randomBytes(6 * BATCH), [65_536]), { maxBytes: 4 * BATCH }),
      ObjectTooLargeError,
    );
    assert.deepEqual(readdirSync(join(root, 'refused')), []);
    const bytes = randomBytes(3 * BATCH + 5);
    assert.equal((await storage.put('refused/next', bytes)).sha256, sha256sum('refused/next'));
  });
});

describe('unwritten', () => {
  const text = (buffers: Buffer[]) => buffers.map((b) => b.toString());
  const batch = () => [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];

  it('keeps everything after a write of nothing, and nothing after a whole write', () => {
    assert.deepEqual(text(unwritten(batch(), 0)), ['abc', 'de', 'fgh']);
    assert.deepEqual(unwritten(batch(), 8), []);
  });

  it('drops the buffers written whole and cuts the one written in part', () => {
    assert.deepEqual(text(unwritten(batch(), 3)), ['de', 'fgh']);
    assert.deepEqual(text(unwritten(batch(), 4)), ['e', 'fgh']);
    assert.deepEqual(text(unwritten(batch(), 7)), ['h']);
  });
});
