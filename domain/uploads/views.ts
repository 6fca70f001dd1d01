/** What the API answers about uploads. */
import { z } from 'zod';
import { Id, Instant } from '../views.js';

export const UPLOAD_STATUSES = ['receiving', 'queued', 'ready', 'rejected'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export const UploadView = z.strictObject({
  id: Id,
  ownerId: Id,
  kind: z.enum(['single', 'chunked']),
  filename: z.string(),
  status: z.enum(UPLOAD_STATUSES),
  /** Why an upload was rejected (`unsupported_type`, `checksum_mismatch`, …). */
  reason: z.string().nullable(),
  declaredType: z.string().nullable(),
  declaredSize: z.number().int(),
  detectedType: z.string().nullable(),
  size: z.number().int().nullable(),
  sha256: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  thumbnailUrl: z.string().nullable(),
  partSize: z.number().int().nullable(),
  partCount: z.number().int().nullable(),
  /** Chunked uploads still receiving: the parts the server holds, so a client can resume. */
  receivedParts: z.array(z.number().int()).optional(),
  createdAt: Instant,
  processedAt: Instant.nullable(),
});
export type UploadDto = z.infer<typeof UploadView>;

export const UploadPartView = z.strictObject({ partNumber: z.number().int(), size: z.number().int(), sha256: z.string() });
