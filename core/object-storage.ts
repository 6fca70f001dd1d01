/**
 * Object storage for uploaded files and generated reports: a small interface shaped like the S3
 * operations we use (put a stream, read, stat, delete, compose parts), and a filesystem
 * implementation for one machine or a shared volume (`object-storage-s3.ts` is the one pods
 * share). Bytes never go through Redis.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredObject {
  size: number;
  sha256: string;
}

export interface PutOptions {
  /** Refuse (and store nothing) once the body passes this many bytes. */
  maxBytes?: number;
}

export interface ObjectStorage {
  /** Writes the whole body under `key`, atomically: readers see the old object or the new one. */
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<StoredObject>;
  /** The object's bytes; the stream fails with ObjectNotFoundError when there is no such key. */
  read(key: string): Readable;
  stat(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix/`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Concatenates `sources` into `key` (like an S3 multipart completion) and returns its digest. */
  compose(key: string, sources: string[]): Promise<StoredObject>;
}

/** Thrown by `put` when the body is larger than `maxBytes`. */
export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`object exceeds ${limitBytes} bytes`);
  }
}

/**
 * Emitted by `read` for a key that holds no object. Its code is the one Node gives a missing file,
 * so whatever answers a missing file (Koa answers 404 to a body stream failing with it) answers
 * a missing object the same way, whichever storage holds it.
 */
export class ObjectNotFoundError extends Error {
  override name = 'ObjectNotFoundError';
  readonly code = 'ENOENT';
  constructor(readonly key: string) {
    super(`no object under ${key}`);
  }
}

/** Counts and hashes bytes, refusing them once a limit is crossed. */
class Tally {
  readonly hash = createHash('sha256');
  byteCount = 0;
  constructor(private readonly maxBytes: number) {}

  /** Takes `chunk` in; an error, and nothing hashed, once the bytes pass the limit. */
  add(chunk: Buffer): ObjectTooLargeError | undefined {
    this.byteCount += chunk.length;
    if (this.byteCount > this.maxBytes) return new ObjectTooLargeError(this.maxBytes);
    this.hash.update(chunk);
    return undefined;
  }
}

/** Counts and hashes the bytes passing through, failing once a limit is crossed. */
export class DigestingCounter extends Transform {
  private readonly tally: Tally;
  constructor(maxBytes = Infinity) {
    super();
    this.tally = new Tally(maxBytes);
  }
  get hash() {
    return this.tally.hash;
  }
  /** Not `size`: @aws-sdk/lib-storage reads a body's `size` as its total length. */
  get byteCount(): number {
    return this.tally.byteCount;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    const refused = this.tally.add(chunk);
    if (refused) return callback(refused);
    callback(null, chunk);
  }
}

/**
 * Bytes gathered before one `writev`. Every write call hands work to libuv's thread pool, which
 * costs the event loop ~15 µs whatever its size, and a socket delivers 64 KiB at a time: written as
 * they came, a 5 MB upload was 80 write calls. Not more than this: what waits here is memory V8
 * counts as external, and 50 uploads holding 1 MiB each made the API collect garbage more often.
 */
const WRITE_BATCH_BYTES = 256 * 1024;

/**
 * Counts, hashes and writes a stream into an open file, in batches of WRITE_BATCH_BYTES (the
 * chunks themselves, gathered without copying, one `writev` a batch). One stage instead of a
 * digesting transform piped into a write stream: a hand-off less per chunk.
 */
class DigestingFileWriter extends Writable {
  readonly tally: Tally;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly file: FileHandle,
    maxBytes: number,
  ) {
    super({ highWaterMark: WRITE_BATCH_BYTES });
    this.tally = new Tally(maxBytes);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const refused = this.tally.add(chunk);
    if (refused) return callback(refused);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < WRITE_BATCH_BYTES) return callback();
    this.flush().then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    let buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (buffers.length > 0) {
      const { bytesWritten } = await this.file.writev(buffers);
      buffers = unwritten(buffers, bytesWritten);
    }
  }
}

/** What is left of `buffers` after the first `written` bytes (a file write may take less than it was given). */
export function unwritten(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) skip -= buffers[index++]!.length;
  const rest = buffers.slice(index);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

const VALID_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** Keys are relative paths of safe characters, never climbing out (`..`): the same rule for every store. */
export function assertValidKey(key: string): void {
  if (!VALID_KEY.test(key) || key.split('/').includes('..')) throw new Error(`invalid object key: ${key}`);
}

/**
 * A stream of the bytes `open` yields, opened lazily: `read` answers synchronously (callers hand
 * the stream to Koa or iterate it), and a failure to open (a missing key) becomes the stream's error.
 */
export function lazyReadable(open: () => Promise<AsyncIterable<Uint8Array>>): Readable {
  const bytes = async function* () {
    yield* await open();
  };
  return Readable.from(bytes(), { objectMode: false });
}

/**
 * Composes by streaming the sources, in order, into one put: the digest of the whole comes out of
 * the same pass, and parts of any size work (S3's server-side part copy needs 5 MiB parts and
 * gives no digest).
 */
export function composeByStreaming(storage: ObjectStorage, key: string, sources: string[]): Promise<StoredObject> {
  const concatenated = async function* () {
    for (const source of sources) yield* storage.read(source) as AsyncIterable<Buffer>;
  };
  return storage.put(key, Readable.from(concatenated(), { objectMode: false }));
}

export class FileSystemStorage implements ObjectStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Written beside the target and renamed into place, so a crash or a retry never leaves half an object.
    const temp = `${path}.${randomUUID()}.tmp`;
    // Opened (and so created) before the pipeline starts: a stream that opens its own file does so
    // asynchronously, and a pipeline that fails at once (an oversized buffer) would let the clean-up
    // below run before that open, leaving the temp file behind.
    const file = await open(temp, 'wx');
    const writer = new DigestingFileWriter(file, options.maxBytes ?? Infinity);
    try {
      const source = Buffer.isBuffer(body) ? [body] : body;
      await pipeline(source, writer);
      await file.close();
      await rename(temp, path);
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    return { size: writer.tally.byteCount, sha256: writer.tally.hash.digest('hex') };
  }

  read(key: string): Readable {
    const path = this.pathOf(key);
    return lazyReadable(async () => {
      try {
        return (await open(path)).createReadStream();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
        throw err;
      }
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  compose(key: string, sources: string[]): Promise<StoredObject> {
    return composeByStreaming(this, key, sources);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`invalid object key: ${key}`);
    return path;
  }
}
