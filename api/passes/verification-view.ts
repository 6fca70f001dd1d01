/** What a gate is told about a presented code. */
import { z } from 'zod';
import { Id, Instant } from '../../domain/views.js';
import { PASS_TYPES } from '../../domain/passes/schemas.js';

export const INVALID_REASONS = [
  'malformed',
  'forged',
  'not_yet_valid',
  'expired',
  'wrong_gate',
  'revoked',
  'anti_passback',
  'unknown_pass',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export const VerificationView = z.strictObject({
  valid: z.boolean(),
  reason: z.enum(INVALID_REASONS).nullable(),
  pass: z
    .strictObject({
      id: Id,
      studentId: Id,
      passType: z.enum(PASS_TYPES),
      validFrom: Instant,
      validUntil: Instant,
      gates: z.array(z.string()).nullable(),
    })
    .nullable(),
  gate: z.string(),
  direction: z.enum(['entry', 'exit']),
  checkedAt: Instant,
  /** True when Redis could not answer and Postgres decided revocation and anti-passback. */
  degraded: z.boolean(),
});
export type VerificationResult = z.infer<typeof VerificationView>;
