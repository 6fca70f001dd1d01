/** What the API answers about access-log rows. */
import { z } from 'zod';
import { Id, Instant } from '../views.js';

export const AccessLogView = z.strictObject({
  id: z.number().int(),
  occurredAt: Instant,
  passId: Id.nullable(),
  studentId: Id.nullable(),
  gate: z.string(),
  direction: z.enum(['entry', 'exit']),
  outcome: z.string(),
  valid: z.boolean(),
  verifiedBy: Id.nullable(),
});
export type AccessLogDto = z.infer<typeof AccessLogView>;
