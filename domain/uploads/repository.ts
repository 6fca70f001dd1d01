/** SQL for uploads and their parts: rows in, plain DTOs out. */
import type { Knex } from 'knex';
import type { UploadDto, UploadStatus } from './views.js';
export type { UploadDto, UploadStatus } from './views.js';

export interface UploadRow {
  id: string;
  owner_id: string;
  kind: 'single' | 'chunked';
  filename: string;
  declared_type: string | null;
  declared_size: number;
  declared_sha256: string | null;
  received_sha256: string | null;
  part_size: number | null;
  part_count: number | null;
  status: UploadStatus;
  reason: string | null;
  detected_type: string | null;
  size: number | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  object_key: string;
  thumbnail_key: string | null;
  attempts: number;
  created_at: Date;
  updated_at: Date;
  processed_at: Date | null;
}

export function toDto(row: UploadRow, receivedParts?: number[]): UploadDto {
  return {
    id: row.id,
    ownerId: row.owner_id,
    kind: row.kind,
    filename: row.filename,
    status: row.status,
    reason: row.reason,
    declaredType: row.declared_type,
    declaredSize: row.declared_size,
    detectedType: row.detected_type,
    size: row.size,
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    thumbnailUrl: row.thumbnail_key ? `/uploads/${row.id}/thumbnail` : null,
    partSize: row.part_size,
    partCount: row.part_count,
    ...(receivedParts ? { receivedParts } : {}),
    createdAt: row.created_at.toISOString(),
    processedAt: row.processed_at?.toISOString() ?? null,
  };
}

/** Storage keys of an upload's bytes; the worker writes the thumbnail beside the original. */
export const uploadKeys = (id: string) => ({
  original: `uploads/${id}/original`,
  part: (n: number) => `uploads/${id}/parts/${String(n).padStart(5, '0')}`,
  partsPrefix: `uploads/${id}/parts`,
  thumbnail: `uploads/${id}/thumbnail.webp`,
});

export type NewUpload = Pick<
  UploadRow,
  'id' | 'owner_id' | 'kind' | 'filename' | 'declared_type' | 'declared_size' | 'declared_sha256' | 'status' | 'object_key'
> &
  Partial<Pick<UploadRow, 'received_sha256' | 'part_size' | 'part_count'>>;

export async function insertUpload(db: Knex, upload: NewUpload): Promise<UploadRow> {
  const [row] = await db('uploads').insert(upload).returning('*');
  return row as UploadRow;
}

export async function findUpload(db: Knex, id: string): Promise<UploadRow | undefined> {
  return (await db('uploads').where({ id }).first()) as UploadRow | undefined;
}

export async function receivedParts(db: Knex, id: string): Promise<{ part_number: number; size: number }[]> {
  return (await db('upload_parts').where({ upload_id: id }).select('part_number', 'size').orderBy('part_number')) as {
    part_number: number;
    size: number;
  }[];
}

/** Records a part; sending the same part number again replaces the earlier one. */
export async function upsertPart(db: Knex, part: { upload_id: string; part_number: number; size: number; sha256: string }): Promise<void> {
  await db('upload_parts')
    .insert(part)
    .onConflict(['upload_id', 'part_number'])
    .merge({ size: part.size, sha256: part.sha256, received_at: db.fn.now() });
}

/** receiving → queued, once; returns whether this call made the transition. */
export async function markQueued(db: Knex, id: string): Promise<boolean> {
  const count = await db('uploads').where({ id, status: 'receiving' }).update({ status: 'queued', updated_at: db.fn.now() });
  return count > 0;
}

/** A ready upload of this owner, for other modules that attach uploads (e.g. applications). */
export async function findReadyUpload(db: Knex, id: string, ownerId: string): Promise<UploadRow | undefined> {
  return (await db('uploads').where({ id, owner_id: ownerId, status: 'ready' }).first()) as UploadRow | undefined;
}
