/**
 * Streams request bodies into object storage without buffering them: a multipart form with one
 * file (@fastify/busboy), or a raw `application/octet-stream` body (chunked upload parts). Limits are
 * enforced while the bytes flow, so an oversized body is refused after at most limit + 1 bytes.
 *
 * Every stream involved gets an error listener before it can emit: an `error` event nobody
 * listens to is thrown by Node and ends the whole process, so a truncated form sent by any
 * logged-in user would otherwise take the API (and the workers beside it) down. A body that ends
 * early, or whose sender goes away, is a 400 and leaves no bytes behind.
 */
import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyFileStream, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { ObjectTooLargeError, type ObjectStorage, type StoredObject } from '../../core/object-storage.js';
import { AppError, badRequest, payloadTooLarge } from '../../domain/errors.js';

/** Room for multipart boundaries and the small text fields beside the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/**
 * How much of the file the parser may hold ahead of the storage write: less than a socket read
 * (64 KiB; the stream default is 16 KiB) pauses and resumes the parser and the socket on every read.
 */
const FILE_BUFFER_BYTES = 256 * 1024;

export interface ReceivedFile extends StoredObject {
  filename: string;
  mimeType: string;
  fields: Record<string, string>;
}

/** Refuses a body whose declared length is already over the limit, before reading any of it. */
export function refuseDeclaredOversize(req: IncomingMessage, limitBytes: number, overhead = 0): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes + overhead) throw payloadTooLarge(limitBytes);
}

const incompleteBody = () => new AppError(400, 'BODY_INCOMPLETE', 'The request body ended before it was complete.');
const malformedForm = (err: Error) => badRequest(`The multipart body is malformed: ${err.message}`);

/** Maps a failure while receiving to the answer the client gets; unknown errors pass through. */
function asClientError(err: unknown, limitBytes: number, req: IncomingMessage): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof ObjectTooLargeError) return payloadTooLarge(limitBytes);
  // The sender went away or the body stopped short: their fault, never a 5xx of ours.
  if (req.destroyed || !req.complete || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return incompleteBody();
  return err;
}

/** Rejects once the request is aborted (the client closed the connection mid-body). */
function whenAborted(req: IncomingMessage): Promise<never> {
  return new Promise((_, reject) => {
    req.once('aborted', () => reject(incompleteBody()));
    req.once('error', () => reject(incompleteBody()));
  });
}

/** Reads a multipart form holding exactly one file (field `file`) and stores the file under `key`. */
export async function receiveMultipartFile(
  req: IncomingMessage,
  storage: ObjectStorage,
  key: string,
  limitBytes: number,
): Promise<ReceivedFile> {
  refuseDeclaredOversize(req, limitBytes, MULTIPART_OVERHEAD_BYTES);
  let parser: BusboyInstance;
  try {
    // @fastify/busboy, not busboy: its boundary search is Buffer.indexOf (native) wherever no
    // partial boundary straddles two reads; busboy's is a Boyer-Moore-Horspool in JavaScript, about
    // 0.3 ms of CPU per MB received, and much more for files made of the boundary's own letters.
    parser = Busboy({
      headers: req.headers as BusboyHeaders,
      fileHwm: FILE_BUFFER_BYTES,
      limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12, fileSize: limitBytes + 1 },
    });
  } catch {
    throw badRequest('The multipart body has no boundary.');
  }
  const fields: Record<string, string> = {};
  let stored: Promise<ReceivedFile> | undefined;
  let file: BusboyFileStream | undefined;

  const finished = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, stream, filename, _encoding, mimeType) => {
      // First, before anything can await: the parser makes the file stream emit an error when the
      // form ends early, and that error must never be an unhandled one.
      stream.on('error', (err: Error) => reject(err instanceof ObjectTooLargeError ? err : malformedForm(err)));
      if (name !== 'file' || stored) {
        stream.resume();
        return;
      }
      file = stream;
      stored = storage
        .put(key, stream, { maxBytes: limitBytes })
        .then((object) => ({ ...object, filename: filename || 'upload', mimeType, fields }));
      // A failed store destroys the file stream, after which the parser would wait forever for it
      // to drain: stop waiting for the form and answer now (Node discards the unread rest of the body).
      stored.catch(reject);
    });
    parser.on('error', (err: Error) => reject(malformedForm(err)));
    parser.on('finish', () => resolve());
  });
  req.pipe(parser);
  try {
    await Promise.race([finished, whenAborted(req)]);
    if (!stored) throw badRequest('The form has no file field named "file".');
    return await stored;
  } catch (err) {
    req.unpipe(parser);
    // Ends a file stream still being written (destroying the parser does not), so the store below
    // settles and removes its temporary file before the key is deleted: nothing of a refused upload
    // stays behind.
    file?.destroy(incompleteBody());
    parser.destroy();
    await stored?.catch(() => undefined);
    await storage.delete(key);
    throw asClientError(err, limitBytes, req);
  }
}

/** Stores a raw request body under `key`, refusing it past `limitBytes`. */
export async function receiveRawBody(req: IncomingMessage, storage: ObjectStorage, key: string, limitBytes: number): Promise<StoredObject> {
  refuseDeclaredOversize(req, limitBytes);
  // Listened to from the start: the store below only attaches its own listeners after an await.
  const aborted = whenAborted(req);
  aborted.catch(() => undefined);
  try {
    return await storage.put(key, req, { maxBytes: limitBytes });
  } catch (err) {
    // `put` writes beside the key and renames only on success; the key may hold an older part.
    throw asClientError(err, limitBytes, req);
  }
}
