/**
 * Judges a stored upload by its bytes, never by its name or declared type: the real type from
 * magic bytes (file-type), the size, the SHA-256 digest, and for images a thumbnail (sharp),
 * which also proves the image decodes.
 *
 * The digest is computed once, where the bytes pass on their way into storage (the API while it
 * receives them, or the compose of a chunked upload's parts), and handed in as `storedSha256`:
 * storage writes are atomic, so those are the stored bytes. Hashing them again here cost a 5 MB
 * read and 3-4 ms of CPU per upload for nothing; a PDF is now judged from its first bytes and its
 * size. Without a known digest (a row written before it was recorded) the bytes are read and hashed.
 */
import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { ObjectStorage } from '../../core/object-storage.js';

export const ALLOWED_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'application/pdf']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
/** file-type needs at most this many leading bytes for the formats we allow. */
const SNIFF_BYTES = 4100;
export const THUMBNAIL_EDGE_PX = 320;
/**
 * Largest image decoded, in pixels (25 MP: a 12 MP phone photo twice over). A small compressed
 * file can declare an enormous canvas — a 1 MB interlaced 16000×16000 PNG took 30 s and 1.25 GB to
 * decode — so the size is read from the header first and the decoder is bounded as well.
 */
export const MAX_IMAGE_PIXELS = 25_000_000;

export type RejectionReason =
  | 'missing_object'
  | 'size_mismatch'
  | 'too_large'
  | 'checksum_mismatch'
  | 'unsupported_type'
  | 'type_mismatch'
  | 'corrupt_image'
  | 'image_too_large';

export interface Expectations {
  declaredSize: number;
  maxBytes: number;
  /** The digest the client declared, if any: the bytes must match it. */
  declaredSha256: string | null;
  /** The digest of the stored bytes, computed as they were written; read and hashed here when unknown. */
  storedSha256: string | null;
  declaredType: string | null;
}

export type Verdict =
  | { ok: true; type: string; size: number; sha256: string; image?: { width: number; height: number }; thumbnail?: Buffer }
  | { ok: false; reason: RejectionReason; detail: string; type?: string; size?: number; sha256?: string };

/** Reads the whole object once: its size, digest and leading bytes. */
async function digest(storage: ObjectStorage, key: string): Promise<{ size: number; sha256: string; head: Buffer }> {
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  for await (const chunk of storage.read(key) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (headLength < SNIFF_BYTES) {
      headChunks.push(chunk.subarray(0, SNIFF_BYTES - headLength));
      headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
    }
  }
  return { size, sha256: hash.digest('hex'), head: Buffer.concat(headChunks) };
}

/** The object's first SNIFF_BYTES (fewer if it is shorter), reading no further than that. */
async function leadingBytes(storage: ObjectStorage, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  // Leaving the loop early destroys the stream: the rest of the object is never read.
  for await (const chunk of storage.read(key) as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= SNIFF_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
}

/** Size, digest and leading bytes: from what is already known when the digest is, else from one full read. */
async function factsOf(
  storage: ObjectStorage,
  key: string,
  stored: { size: number },
  storedSha256: string | null,
): Promise<{ size: number; sha256: string; head: Buffer }> {
  if (!storedSha256) return digest(storage, key);
  return { size: stored.size, sha256: storedSha256, head: await leadingBytes(storage, key) };
}

/** Generic declarations ("I don't know") are not held against the file. */
const isSpecificType = (type: string | null): type is string => !!type && ALLOWED_TYPES.has(type.toLowerCase());

export async function inspectUpload(storage: ObjectStorage, key: string, expect: Expectations): Promise<Verdict> {
  const stored = await storage.stat(key);
  if (!stored) return { ok: false, reason: 'missing_object', detail: 'the stored bytes are gone' };
  const { size, sha256, head } = await factsOf(storage, key, stored, expect.storedSha256);
  const facts = { size, sha256 };
  if (size > expect.maxBytes) return { ok: false, reason: 'too_large', detail: `${size} bytes is over ${expect.maxBytes}`, ...facts };
  if (size !== expect.declaredSize) {
    return { ok: false, reason: 'size_mismatch', detail: `declared ${expect.declaredSize} bytes, stored ${size}`, ...facts };
  }
  if (expect.declaredSha256 && expect.declaredSha256 !== sha256) {
    return { ok: false, reason: 'checksum_mismatch', detail: 'the SHA-256 digest of the bytes differs from the declared one', ...facts };
  }
  const detected = (await fileTypeFromBuffer(head))?.mime;
  if (!detected || !ALLOWED_TYPES.has(detected)) {
    return {
      ok: false,
      reason: 'unsupported_type',
      detail: `content is ${detected ?? 'not a recognised type'}`,
      ...facts,
      ...(detected ? { type: detected } : {}),
    };
  }
  if (isSpecificType(expect.declaredType) && expect.declaredType.toLowerCase() !== detected) {
    return {
      ok: false,
      reason: 'type_mismatch',
      detail: `declared ${expect.declaredType}, content is ${detected}`,
      type: detected,
      ...facts,
    };
  }
  if (!IMAGE_TYPES.has(detected)) return { ok: true, type: detected, ...facts };
  const image = await readAll(storage, key);
  const canvas = await canvasOf(image);
  if (canvas && canvas.width * canvas.height > MAX_IMAGE_PIXELS) {
    const detail = `${canvas.width}×${canvas.height} is over ${MAX_IMAGE_PIXELS} pixels`;
    return { ok: false, reason: 'image_too_large', detail, type: detected, ...facts };
  }
  try {
    const { data, info } = await thumbnailOf(image);
    return { ok: true, type: detected, ...facts, image: { width: info.width, height: info.height }, thumbnail: data };
  } catch (err) {
    return { ok: false, reason: 'corrupt_image', detail: `the image does not decode: ${(err as Error).message}`, type: detected, ...facts };
  }
}

/**
 * A WebP thumbnail no larger than THUMBNAIL_EDGE_PX on either side, upright per EXIF. Decoding
 * the whole image for it is also the proof that the image is not truncated or corrupt.
 */
async function thumbnailOf(image: Buffer): Promise<{ data: Buffer; info: { width: number; height: number } }> {
  const source = sharp(image, { failOn: 'truncated', limitInputPixels: MAX_IMAGE_PIXELS });
  const { width = 0, height = 0, orientation } = await source.metadata();
  const upright = orientation && orientation >= 5 ? { width: height, height: width } : { width, height };
  const data = await source
    .rotate()
    .resize(THUMBNAIL_EDGE_PX, THUMBNAIL_EDGE_PX, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return { data, info: upright };
}

/** The canvas the header declares, read without decoding any pixels; undefined when unreadable. */
async function canvasOf(image: Buffer): Promise<{ width: number; height: number } | undefined> {
  try {
    const { width, height } = await sharp(image).metadata();
    return width && height ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

async function readAll(storage: ObjectStorage, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of storage.read(key) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
