import { z } from 'zod';

export const Sha256Hex = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest as 64 hex characters');

const Filename = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((v) => !/[/\\\0]/.test(v), 'a file name without path separators');

export const UploadIdParams = z.object({ id: z.uuid() });

export const PartParams = z.object({
  id: z.uuid(),
  partNumber: z.coerce.number().int().min(1).max(10_000),
});

export const ChunkedUploadInit = z
  .object({
    filename: Filename,
    contentType: z.string().trim().max(100).optional(),
    size: z.number().int().min(1),
    checksum: Sha256Hex,
  })
  .strict();

export const CompleteUpload = z.object({}).strict();

export type ChunkedUploadInitInput = z.infer<typeof ChunkedUploadInit>;

/** The client's checksum of a single upload, from the `checksum` form field or `X-Checksum-SHA256`. */
export function declaredChecksum(fieldValue: string | undefined, header: string | string[] | undefined): string | null | Error {
  const value = fieldValue ?? (Array.isArray(header) ? header[0] : header);
  if (value === undefined || value === '') return null;
  const parsed = Sha256Hex.safeParse(value);
  return parsed.success ? parsed.data : new Error('checksum must be a SHA-256 digest as 64 hex characters');
}

export const safeFilename = (name: string): string => Filename.safeParse(name).data ?? 'upload';
