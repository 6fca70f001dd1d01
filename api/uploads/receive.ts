/**
 * Streams request bodies into object storage without buffering them: a multipart form with one
 * file (busboy), or a raw `application/octet-stream` body (chunked upload parts). Limits are
 * enforced while the bytes flow, so an oversized body is refused after at most limit + 1 bytes.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { ObjectTooLargeError, type ObjectStorage, type StoredObject } from '../../core/object-storage.js';
import { badRequest, payloadTooLarge } from '../errors.js';

/** Room for multipart boundaries and the small text fields beside the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

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

/** Reads a multipart form holding exactly one file (field `file`) and stores the file under `key`. */
export async function receiveMultipartFile(req: IncomingMessage, storage: ObjectStorage, key: string, limitBytes: number): Promise<ReceivedFile> {
  refuseDeclaredOversize(req, limitBytes, MULTIPART_OVERHEAD_BYTES);
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12, fileSize: limitBytes + 1 } });
  } catch {
    throw badRequest('The multipart body has no boundary.');
  }
  const fields: Record<string, string> = {};
  let stored: Promise<ReceivedFile> | undefined;

  const finished = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || stored) {
        stream.resume();
        return;
      }
      stored = storage
        .put(key, stream, { maxBytes: limitBytes })
        .then((object) => ({ ...object, filename: info.filename || 'upload', mimeType: info.mimeType, fields }));
      // A failed store destroys the file stream, after which busboy would wait forever for it to
      // drain: stop waiting for the form and answer now (Node discards the unread rest of the body).
      stored.catch(reject);
    });
    parser.on('error', (err: Error) => reject(badRequest(`The multipart body is malformed: ${err.message}`)));
    parser.on('close', () => resolve());
  });
  req.pipe(parser);
  try {
    await finished;
  } catch (err) {
    req.unpipe(parser);
    await storage.delete(key);
    if (err instanceof ObjectTooLargeError) throw payloadTooLarge(limitBytes);
    throw err;
  }
  if (!stored) throw badRequest('The form has no file field named "file".');
  try {
    return await stored;
  } catch (err) {
    await storage.delete(key);
    if (err instanceof ObjectTooLargeError) throw payloadTooLarge(limitBytes);
    throw err;
  }
}

/** Stores a raw request body under `key`, refusing it past `limitBytes`. */
export async function receiveRawBody(req: IncomingMessage, storage: ObjectStorage, key: string, limitBytes: number): Promise<StoredObject> {
  refuseDeclaredOversize(req, limitBytes);
  try {
    return await storage.put(key, req, { maxBytes: limitBytes });
  } catch (err) {
    if (err instanceof ObjectTooLargeError) throw payloadTooLarge(limitBytes);
    throw err;
  }
}
