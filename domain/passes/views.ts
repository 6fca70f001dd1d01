/** What the API answers about passes. */
import { z } from 'zod';
import { Id, Instant } from '../views.js';
import { PASS_TYPES } from './schemas.js';

export const PASS_STATUSES = ['active', 'revoked', 'expired', 'scheduled'] as const;
export type PassStatus = (typeof PASS_STATUSES)[number];

export const PassView = z.strictObject({
  id: Id,
  studentId: Id,
  applicationId: Id.nullable(),
  passType: z.enum(PASS_TYPES),
  /** `active`, `revoked`, `expired`, or `scheduled` (not valid yet). */
  status: z.enum(PASS_STATUSES),
  validFrom: Instant,
  validUntil: Instant,
  gates: z.array(z.string()).nullable(),
  keyId: z.string(),
  /** The signed token the QR code carries; only for the roles that print passes. */
  code: z.string().optional(),
  issuedBy: Id.nullable(),
  revokedAt: Instant.nullable(),
  revokeReason: z.string().nullable(),
  createdAt: Instant,
});
export type PassView = z.infer<typeof PassView>;
export type PassDto = PassView & { code: string };
