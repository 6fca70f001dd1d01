import { randomUUID } from 'node:crypto';
import type { AppContext, AppDeps, AuthUser } from '../context.js';
import { badRequest, conflict, forbidden, notFound, payloadTooLarge, unprocessable } from '../../domain/errors.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { receiveMultipartFile, receiveRawBody } from './receive.js';
import {
  findUpload,
  insertUpload,
  markQueued,
  receivedParts,
  toDto,
  uploadKeys,
  upsertPart,
  type UploadRow,
} from '../../domain/uploads/repository.js';
import {
  ChunkedUploadInit,
  CompleteUpload,
  PartParams,
  UploadIdParams,
  declaredChecksum,
  safeFilename,
} from '../../domain/uploads/schemas.js';
import { UploadPartView, UploadView } from '../../domain/uploads/views.js';

const route = routeGroup({ tag: 'uploads', sla: 'uploads' });

const UPLOADERS = ['admin', 'staff', 'student'] as const;

/** Only the owner may change an upload; staff and admins may also read anyone's. */
function loadFor(user: AuthUser, row: UploadRow | undefined, intent: 'read' | 'write'): UploadRow {
  if (!row || !user) throw notFound('Upload');
  if (row.owner_id === user.id) return row;
  if (intent === 'read' && (user.role === 'staff' || user.role === 'admin')) return row;
  throw forbidden('This upload belongs to someone else.');
}

/** Bytes the given part must hold: every part is `part_size` except the last, which holds the rest. */
function expectedPartSize(row: UploadRow, partNumber: number): number {
  const partSize = row.part_size ?? 0;
  const count = row.part_count ?? 0;
  return partNumber < count ? partSize : row.declared_size - partSize * (count - 1);
}

export function uploadRoutes(deps: AppDeps): AnyRoute[] {
  const { db, storage, queues, config } = deps;

  /** Enqueues processing; a repeat is harmless (one job id per upload), so clients may retry. */
  async function enqueue(row: UploadRow): Promise<void> {
    await queues.enqueueUpload(row.id);
  }

  return [
    route({
      method: 'post',
      path: '/uploads',
      summary: 'Upload one file (multipart field "file", up to 5 MB); processed asynchronously',
      access: UPLOADERS,
      response: { data: UploadView },
      streamedBody: 'multipart/form-data',
      responses: { 202: 'Accepted for processing', 413: 'Larger than the single-upload limit' },
      async handler(ctx: AppContext, { user }) {
        const id = randomUUID();
        const key = uploadKeys(id).original;
        const file = await receiveMultipartFile(ctx.req, storage, key, config.UPLOAD_MAX_BYTES);
        const checksum = declaredChecksum(file.fields.checksum, ctx.get('x-checksum-sha256') || undefined);
        if (checksum instanceof Error) {
          await storage.delete(key);
          throw badRequest(checksum.message);
        }
        const row = await insertUpload(db.primary, {
          id,
          owner_id: user.id,
          kind: 'single',
          filename: safeFilename(file.filename),
          declared_type: file.mimeType || null,
          declared_size: file.size,
          declared_sha256: checksum,
          received_sha256: file.sha256,
          status: 'queued',
          object_key: key,
        });
        await enqueue(row);
        ctx.set('Location', `/uploads/${id}`);
        return { status: 202, data: toDto(row) };
      },
    }),
    route({
      method: 'post',
      path: '/uploads/chunked',
      summary: 'Start a chunked, resumable upload (up to 100 MB): returns the part size and count',
      access: UPLOADERS,
      response: { data: UploadView },
      body: ChunkedUploadInit,
      responses: { 201: 'Created; send the parts, then complete', 413: 'Larger than the chunked-upload limit' },
      async handler(ctx, { body, user }) {
        if (body.size > config.CHUNKED_UPLOAD_MAX_BYTES) throw payloadTooLarge(config.CHUNKED_UPLOAD_MAX_BYTES);
        const id = randomUUID();
        const partSize = config.UPLOAD_PART_SIZE_BYTES;
        const row = await insertUpload(db.primary, {
          id,
          owner_id: user.id,
          kind: 'chunked',
          filename: body.filename,
          declared_type: body.contentType ?? null,
          declared_size: body.size,
          declared_sha256: body.checksum,
          part_size: partSize,
          part_count: Math.ceil(body.size / partSize),
          status: 'receiving',
          object_key: uploadKeys(id).original,
        });
        ctx.set('Location', `/uploads/${id}`);
        return { status: 201, data: toDto(row, []) };
      },
    }),
    route({
      method: 'put',
      path: '/uploads/:id/parts/:partNumber',
      summary: 'Send one part (application/octet-stream); sending a part again replaces it',
      access: UPLOADERS,
      response: { data: UploadPartView },
      params: PartParams,
      streamedBody: 'application/octet-stream',
      responses: {
        200: 'Part stored',
        409: 'The upload is no longer receiving parts',
        413: 'Part larger than its expected size',
        422: 'Part number out of range or part shorter than expected',
      },
      async handler(ctx: AppContext, { params, user }) {
        const row = loadFor(user, await findUpload(db.primary, params.id), 'write');
        if (row.kind !== 'chunked') throw conflict('This upload was not started as a chunked upload.', 'NOT_CHUNKED');
        if (row.status !== 'receiving') throw conflict('This upload is complete and takes no more parts.', 'UPLOAD_NOT_RECEIVING');
        if (params.partNumber > (row.part_count ?? 0)) {
          throw unprocessable(`This upload has ${row.part_count} parts.`, 'PART_OUT_OF_RANGE', { partCount: row.part_count });
        }
        const expected = expectedPartSize(row, params.partNumber);
        const key = uploadKeys(row.id).part(params.partNumber);
        const part = await receiveRawBody(ctx.req, storage, key, expected);
        if (part.size !== expected) {
          await storage.delete(key);
          throw unprocessable(`Part ${params.partNumber} must hold ${expected} bytes; it held ${part.size}.`, 'PART_SIZE_MISMATCH', {
            expected,
            received: part.size,
          });
        }
        await upsertPart(db.primary, { upload_id: row.id, part_number: params.partNumber, size: part.size, sha256: part.sha256 });
        return { data: { partNumber: params.partNumber, size: part.size, sha256: part.sha256 } };
      },
    }),
    route({
      method: 'post',
      path: '/uploads/:id/complete',
      summary: 'Finish a chunked upload once every part is stored; processing starts (safe to repeat)',
      access: UPLOADERS,
      response: { data: UploadView },
      params: UploadIdParams,
      body: CompleteUpload,
      responses: {
        202: 'Accepted for processing',
        409: 'Not a chunked upload',
        422: 'Parts are missing (listed in details.missingParts)',
      },
      async handler(_ctx, { params, user }) {
        const row = loadFor(user, await findUpload(db.primary, params.id), 'write');
        if (row.kind !== 'chunked') throw conflict('This upload was not started as a chunked upload.', 'NOT_CHUNKED');
        if (row.status === 'receiving') {
          const have = new Set((await receivedParts(db.primary, row.id)).map((p) => p.part_number));
          const missingParts = Array.from({ length: row.part_count ?? 0 }, (_, i) => i + 1).filter((n) => !have.has(n));
          if (missingParts.length > 0) {
            throw unprocessable(`${missingParts.length} of ${row.part_count} parts are missing.`, 'UPLOAD_INCOMPLETE', { missingParts });
          }
          await markQueued(db.primary, row.id);
        }
        const current = (await findUpload(db.primary, row.id))!;
        if (current.status === 'queued') await enqueue(current);
        return { status: 202, data: toDto(current) };
      },
    }),
    route({
      method: 'get',
      path: '/uploads/:id',
      summary: 'An upload and its processing status (students see only their own)',
      access: ['admin', 'staff', 'student'],
      response: { data: UploadView },
      params: UploadIdParams,
      async handler(_ctx, { params, user }) {
        const row = loadFor(user, await findUpload(db.primary, params.id), 'read');
        const parts = row.status === 'receiving' ? (await receivedParts(db.primary, row.id)).map((p) => p.part_number) : undefined;
        return { data: toDto(row, parts) };
      },
    }),
    route({
      method: 'get',
      path: '/uploads/:id/thumbnail',
      summary: 'The WebP thumbnail of an image upload once it is ready',
      access: ['admin', 'staff', 'student'],
      response: { media: ['image/webp'] },
      params: UploadIdParams,
      responses: { 200: 'image/webp', 404: 'No such upload or no thumbnail' },
      async handler(ctx, { params, user }) {
        const row = loadFor(user, await findUpload(db.primary, params.id), 'read');
        if (row.status !== 'ready' || !row.thumbnail_key) throw notFound('Thumbnail');
        ctx.type = 'image/webp';
        ctx.set('Cache-Control', 'private, max-age=3600');
        ctx.body = storage.read(row.thumbnail_key);
      },
    }),
  ];
}
