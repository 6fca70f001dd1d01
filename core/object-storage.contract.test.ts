/**
 * One behaviour suite, two backends: the filesystem implementation (`npm start`) and the S3 one
 * against a real SeaweedFS S3 server on loopback (testing/seaweedfs.ts, real signed requests).
 * Whatever the API and workers rely on holds for both: atomic puts, refusals that leave nothing
 * behind (no temp file, no object, no open multipart upload), a typed error for a missing key,
 * deletePrefix by path segment, compose digests, concurrent puts.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { FileSystemStorage, ObjectNotFoundError, ObjectTooLargeError, type ObjectStorage } from './object-storage.js';
import { S3ObjectStorage } from './object-storage-s3.js';
import { startSeaweedFs, type SeaweedFs } from '../testing/seaweedfs.js';

const MiB = 1024 * 1024;

interface Store {
  storage: ObjectStorage;
  /** Everything the store holds: objects, temporary files, unfinished multipart uploads. */
  leftovers(): Promise<string[]>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  /** An empty store of its own (a directory, a bucket) for one test. */
  fresh(): Promise<Store>;
  stop(): Promise<void>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Yields `bytes` in chunks, pausing between them so other work interleaves; optionally fails after `failAfter` bytes. */
function slowStream(bytes: Buffer, options: { chunk?: number; pauseMs?: number; failAfter?: number } = {}): Readable {
  const { chunk = 256 * 1024, pauseMs = 5, failAfter = Infinity } = options;
  const chunks = async function* () {
    for (let at = 0; at < bytes.length; at += chunk) {
      if (at >= failAfter) throw new Error('the sender went away');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      yield bytes.subarray(at, at + chunk);
    }
  };
  return Readable.from(chunks(), { objectMode: false });
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(root, join(dir, entry.name)) : [relative(root, join(dir, entry.name))],
  );
}

function fileSystemBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'filesystem',
    async start() {},
    async fresh() {
      const root = mkdtempSync(join(tmpdir(), 'pp-objects-'));
      dirs.push(root);
      return { storage: new FileSystemStorage(root), leftovers: async () => listFiles(root) };
    },
    async stop() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function s3Backend(): Backend {
  let server: SeaweedFs;
  let buckets = 0;
  const storages: S3ObjectStorage[] = [];
  return {
    name: 's3 (SeaweedFS)',
    async start() {
      server = await startSeaweedFs();
    },
    async fresh() {
      const bucket = `contract-${++buckets}-${randomBytes(3).toString('hex')}`;
      await server.createBucket(bucket);
      const storage = new S3ObjectStorage({
        bucket,
        region: server.region,
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      });
      storages.push(storage);
      const leftovers = async () => {
        const keys: string[] = [];
        for await (const page of paginateListObjectsV2({ client: server.client }, { Bucket: bucket })) {
          keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        }
        const uploads = await server.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        return [...keys, ...(uploads.Uploads ?? []).map((u) => `multipart upload of ${u.Key}`)];
      };
      return { storage, leftovers };
    },
    async stop() {
      for (const storage of storages) storage.close();
      await server?.stop();
    },
  };
}

for (const backend of [fileSystemBackend(), s3Backend()]) {
  describe(`object storage contract: ${backend.name}`, () => {
    before(() => backend.start());
    after(() => backend.stop());

    it('stores a streamed body and reads back the same bytes, size and digest (multipart-sized)', async () => {
      const { storage } = await backend.fresh();
      const bytes = randomBytes(12 * MiB + 17);
      const stored = await storage.put('uploads/u1/original', slowStream(bytes, { pauseMs: 0 }), { maxBytes: 20 * MiB });
      assert.deepEqual(stored, { size: bytes.length, sha256: sha256(bytes) });
      assert.deepEqual(await storage.stat('uploads/u1/original'), { size: bytes.length });
      assert.ok((await readAll(storage.read('uploads/u1/original'))).equals(bytes));
      const small = Buffer.from('one line of a report\n');
      assert.deepEqual(await storage.put('reports/r1.csv', small), { size: small.length, sha256: sha256(small) });
      assert.ok((await readAll(storage.read('reports/r1.csv'))).equals(small));
    });

    it('puts atomically: while a new body streams in, readers get the whole old object; a failed put keeps it', async () => {
      const { storage, leftovers } = await backend.fresh();
      const before = randomBytes(6 * MiB);
      const next = randomBytes(6 * MiB);
      await storage.put('k/object', before);
      const replacing = storage.put('k/object', slowStream(next, { pauseMs: 20 }));
      let readsDuring = 0;
      let settled = false;
      void replacing.finally(() => (settled = true)).catch(() => undefined);
      while (!settled) {
        const seen = await readAll(storage.read('k/object'));
        // Either whole version, never a mix or a prefix.
        assert.ok(seen.equals(before) || seen.equals(next), `a read saw ${seen.length} bytes of neither version`);
        if (!settled) readsDuring++;
      }
      await replacing;
      assert.ok(readsDuring > 0, 'no read happened while the put was in progress');
      assert.ok((await readAll(storage.read('k/object'))).equals(next));

      await assert.rejects(storage.put('k/object', slowStream(randomBytes(11 * MiB), { failAfter: 7 * MiB })), /the sender went away/);
      assert.ok((await readAll(storage.read('k/object'))).equals(next), 'a failed put must leave the previous object whole');
      assert.deepEqual(await leftovers(), ['k/object']);
    });

    it('refuses a body over maxBytes and leaves nothing behind (stream, buffer, over an existing object)', async () => {
      const { storage, leftovers } = await backend.fresh();
      await assert.rejects(
        storage.put('big/streamed', slowStream(randomBytes(13 * MiB), { pauseMs: 0 }), { maxBytes: 6 * MiB }),
        ObjectTooLargeError,
      );
      await assert.rejects(storage.put('big/buffer', randomBytes(2 * MiB), { maxBytes: MiB }), ObjectTooLargeError);
      assert.equal(await storage.stat('big/streamed'), undefined);
      assert.equal(await storage.stat('big/buffer'), undefined);
      assert.deepEqual(await leftovers(), []);

      const kept = randomBytes(1000);
      await storage.put('big/kept', kept);
      await assert.rejects(storage.put('big/kept', randomBytes(7 * MiB), { maxBytes: 5 * MiB }), ObjectTooLargeError);
      assert.ok((await readAll(storage.read('big/kept'))).equals(kept));
      assert.deepEqual(await leftovers(), ['big/kept']);
      // Exactly at the limit is allowed.
      const exact = randomBytes(MiB);
      assert.equal((await storage.put('big/exact', exact, { maxBytes: MiB })).size, MiB);
    });

    it('a missing key: read fails with ObjectNotFoundError (code ENOENT), stat is undefined, delete is a no-op', async () => {
      const { storage } = await backend.fresh();
      await assert.rejects(readAll(storage.read('nothing/here')), (err: unknown) => {
        assert.ok(err instanceof ObjectNotFoundError, `got ${String(err)}`);
        assert.equal(err.code, 'ENOENT');
        assert.equal(err.key, 'nothing/here');
        return true;
      });
      assert.equal(await storage.stat('nothing/here'), undefined);
      await storage.delete('nothing/here');
      await storage.deletePrefix('nothing');
    });

    it('refuses keys that climb out or are not relative paths', async () => {
      const { storage, leftovers } = await backend.fresh();
      for (const key of ['../escape', 'a/../../b', '/absolute', '', 'sp ace']) {
        await assert.rejects(storage.put(key, Buffer.from('x')), /invalid object key/);
      }
      assert.throws(() => storage.read('../escape'), /invalid object key/);
      assert.deepEqual(await leftovers(), []);
    });

    it('deletePrefix removes every object under prefix/ (more than one listing page), nothing beside it', async () => {
      const { storage, leftovers } = await backend.fresh();
      const under = Array.from({ length: 1010 }, (_, i) => `up/parts/${String(i).padStart(5, '0')}`);
      // `up/partsX/1` shares the string prefix `up/parts` but not the path segment: it stays.
      const beside = ['up/partsX/1', 'up/other', 'keep/1'];
      for (let i = 0; i < under.length; i += 50) {
        await Promise.all(under.slice(i, i + 50).map((key) => storage.put(key, Buffer.from(key))));
      }
      await storage.put('up/parts/deeper/still', Buffer.from('x'));
      for (const key of beside) await storage.put(key, Buffer.from(key));
      assert.equal((await leftovers()).length, under.length + 1 + beside.length);
      await storage.deletePrefix('up/parts');
      assert.deepEqual((await leftovers()).sort(), [...beside].sort());
    });

    it('composes parts into one object whose digest is that of the concatenation', async () => {
      const { storage, leftovers } = await backend.fresh();
      const parts = [randomBytes(5 * MiB + 1), randomBytes(5 * MiB), randomBytes(123), randomBytes(1)];
      await Promise.all(parts.map((part, i) => storage.put(`c/parts/${i + 1}`, part)));
      const whole = Buffer.concat(parts);
      const composed = await storage.compose(
        'c/original',
        parts.map((_, i) => `c/parts/${i + 1}`),
      );
      assert.deepEqual(composed, { size: whole.length, sha256: sha256(whole) });
      assert.ok((await readAll(storage.read('c/original'))).equals(whole));
      // A missing part: the compose fails and no object appears under the key.
      await assert.rejects(storage.compose('c/broken', ['c/parts/1', 'c/parts/9']), ObjectNotFoundError);
      assert.equal(await storage.stat('c/broken'), undefined);
      assert.ok(!(await leftovers()).some((key) => key.includes('c/broken')));
    });

    it('concurrent puts: distinct keys all land intact; to one key, the last write is one whole body', async () => {
      const { storage, leftovers } = await backend.fresh();
      const bodies = Array.from({ length: 16 }, (_, i) => randomBytes(64 * 1024 + i * 4099));
      const stored = await Promise.all(
        bodies.map((body, i) => storage.put(`many/${i}`, slowStream(body, { chunk: 16 * 1024, pauseMs: 1 }))),
      );
      for (const [i, body] of bodies.entries()) {
        assert.equal(stored[i]!.sha256, sha256(body));
        assert.ok((await readAll(storage.read(`many/${i}`))).equals(body), `many/${i} differs`);
      }
      const rivals = Array.from({ length: 8 }, () => randomBytes(2 * MiB));
      await Promise.all(rivals.map((body) => storage.put('one/key', slowStream(body, { chunk: 128 * 1024, pauseMs: 2 }))));
      const final = await readAll(storage.read('one/key'));
      assert.ok(
        rivals.some((body) => body.equals(final)),
        'the object is not one whole body of the rival puts',
      );
      assert.equal((await leftovers()).filter((key) => key.startsWith('one/')).length, 1);
    });
  });
}

describe('object storage contract: S3 requests are really authenticated', () => {
  let server: SeaweedFs;
  before(async () => (server = await startSeaweedFs()));
  after(() => server?.stop());

  it('a wrong secret is refused by the server, and nothing is stored', async () => {
    const wrong = new S3ObjectStorage({
      bucket: server.bucket,
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: `${server.secretAccessKey}x` },
    });
    await assert.rejects(wrong.put('denied/1', Buffer.from('x')), (err: Error) =>
      /SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId/.test(err.name),
    );
    wrong.close();
    // Unsigned HTTP, as anyone on the network could send: refused.
    const unsigned = await fetch(`${server.endpoint}/${server.bucket}?list-type=2`);
    assert.equal(unsigned.status, 403);
    const listed = await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket }));
    assert.equal(listed.KeyCount ?? 0, 0);
  });
});
