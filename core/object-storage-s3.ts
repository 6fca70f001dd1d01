/**
 * Object storage in an S3-compatible bucket (AWS S3, SeaweedFS, Ceph RGW…): what the API and
 * worker pods share, so an upload received by one pod is read by a worker in another.
 *
 * Bodies stream through: a put is one PutObject for a small body or a multipart upload
 * (@aws-sdk/lib-storage) for a large one, hashed and counted on the way. An object only becomes
 * visible when its PutObject or CompleteMultipartUpload succeeds, so readers see the old object or
 * the new one; a refused or failed put aborts its multipart upload and leaves nothing behind.
 */
import { pipeline, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertValidKey,
  composeByStreaming,
  DigestingCounter,
  lazyReadable,
  ObjectNotFoundError,
  type ObjectStorage,
  type PutOptions,
  type StoredObject,
} from './object-storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** Unset: AWS S3 itself. */
  endpoint?: string;
  /** endpoint/bucket/key URLs instead of bucket.endpoint/key (most self-hosted servers). */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default credential chain (IRSA / web identity, instance and container roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Multipart part size: S3's minimum, so a put holds at most QUEUE_SIZE × 5 MiB in memory. */
const PART_SIZE_BYTES = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_IDLE_TIMEOUT_MS = 120_000;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/** A missing key, whichever way the server or the SDK says so (HeadObject has no body to name it). */
function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404;
}

export class S3ObjectStorage implements ObjectStorage {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(options: S3StorageOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      // Checksums only where the S3 API requires them: many S3-compatible servers (older Ceph RGW,
      // some gateways) refuse the aws-chunked trailing checksums the SDK otherwise adds to streams.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The SDK waits forever by default: an unreachable or hung server must fail the request (and
      // the job retries) instead of holding a worker slot. Idle, not total: a 100 MB body may take long.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.client = new S3Client(config);
    this.bucket = options.bucket;
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    assertValidKey(key);
    const counter = new DigestingCounter(options.maxBytes);
    // Its failure reaches the upload through the upload's iteration of it; without a listener, one
    // raised before that iteration starts (a Buffer over the limit) would be thrown by Node.
    counter.on('error', () => undefined);
    // pipeline destroys the source and the counter together on any failure, as the filesystem's does.
    if (Buffer.isBuffer(body)) counter.end(body);
    else pipeline(body, counter, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counter },
      partSize: PART_SIZE_BYTES,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // A refused body fails the upload with the counter's error (its multipart upload aborted).
      counter.destroy();
      throw err;
    }
    return { size: counter.byteCount, sha256: counter.hash.digest('hex') };
  }

  read(key: string): Readable {
    assertValidKey(key);
    return lazyReadable(async () => {
      try {
        const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return Body as Readable;
      } catch (err) {
        if (isNotFound(err)) throw new ObjectNotFoundError(key);
        throw err;
      }
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    assertValidKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertValidKey(prefix);
    // Listed page by page and deleted a page at a time: a prefix of any size in bounded memory.
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${prefix}/`,
          ContinuationToken: continuationToken,
          MaxKeys: DELETE_BATCH,
        }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) await this.deleteBatch(keys);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  compose(key: string, sources: string[]): Promise<StoredObject> {
    return composeByStreaming(this, key, sources);
  }

  /** Stops the client's keep-alive sockets. */
  close(): void {
    this.client.destroy();
  }

  private async deleteBatch(keys: { Key: string }[]): Promise<void> {
    const result = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
    // DeleteObjects answers 200 even when some keys failed: those are in Errors.
    const failed = result.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new Error(
        `deleting ${failed.length} object(s) under the prefix failed: ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
      );
    }
  }
}
