/**
 * Object storage for uploaded files and generated reports: a small interface shaped like the S3
 * operations we use (put a stream, read, stat, delete, compose parts), and a filesystem
 * implementation for one machine or a shared volume (`object-storage-s3.ts` is the one pods
 * share). Bytes never go through Redis.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
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

/** Counts and hashes the bytes passing through, failing once a limit is crossed. */
export class DigestingCounter extends Transform {
  readonly hash = createHash('sha256');
  /** Not `size`: @aws-sdk/lib-storage reads a body's `size` as its total length. */
  byteCount = 0;
  constructor(private readonly maxBytes = Infinity) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    this.byteCount += chunk.length;
    if (this.byteCount > this.maxBytes) return callback(new ObjectTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/** Larger writes mean fewer round trips to libuv's thread pool per object. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

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
    const counter = new DigestingCounter(options.maxBytes);
    // Opened (and so created) before the pipeline starts: a stream that opens its own file does so
    // asynchronously, and a pipeline that fails at once (an oversized buffer) would let the clean-up
    // below run before that open, leaving the temp file behind.
    const file = await open(temp, 'wx');
    try {
      const source = Buffer.isBuffer(body) ? [body] : body;
      await pipeline(source, counter, file.createWriteStream({ highWaterMark: WRITE_BUFFER_BYTES }));
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return { size: counter.byteCount, sha256: counter.hash.digest('hex') };
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
