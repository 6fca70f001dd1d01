import { z } from 'zod';
import { PageQuery } from '../pagination.js';
import { Gate } from '../passes/schemas.js';

export const AccessLogQuery = z
  .object({
    ...PageQuery,
    passId: z.uuid().optional(),
    studentId: z.uuid().optional(),
    gate: Gate.optional(),
    direction: z.enum(['entry', 'exit']).optional(),
    /** `valid`, `invalid` (any refusal) or one refusal reason. */
    outcome: z
      .string()
      .regex(/^[a-z_]{3,32}$/)
      .optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((v) => !v.from || !v.to || new Date(v.from) < new Date(v.to), { message: 'from must be before to', path: ['to'] });

export type AccessLogQueryInput = z.infer<typeof AccessLogQuery>;
