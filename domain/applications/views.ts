/** What the API answers about pass applications. */
import { z } from 'zod';
import { PASS_TYPES } from '../passes/schemas.js';
import { Id, Instant } from '../views.js';
import { APPLICATION_ACTIONS, APPLICATION_STATUSES } from './state-machine.js';

export const ApplicationView = z.strictObject({
  id: Id,
  studentId: Id,
  passType: z.enum(PASS_TYPES),
  reason: z.string(),
  requestedValidFrom: Instant,
  requestedValidUntil: Instant,
  gates: z.array(z.string()).nullable(),
  attachmentIds: z.array(Id),
  priority: z.number().int(),
  status: z.enum(APPLICATION_STATUSES),
  allowedActions: z.array(z.enum(APPLICATION_ACTIONS)),
  decisionReason: z.string().nullable(),
  reviewerId: Id.nullable(),
  decidedAt: Instant.nullable(),
  passId: Id.nullable(),
  submittedAt: Instant,
  updatedAt: Instant,
});
export type ApplicationDto = z.infer<typeof ApplicationView>;
