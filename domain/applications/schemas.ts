import { z } from 'zod';
import { PageQuery } from '../pagination.js';
import { Gates, PASS_TYPES, validityIssue } from '../passes/schemas.js';
import { APPLICATION_STATUSES } from './state-machine.js';

const datetime = z.iso.datetime({ offset: true });

export const ApplicationCreate = z
  .object({
    passType: z.enum(PASS_TYPES),
    reason: z.string().trim().min(3).max(2000),
    validFrom: datetime,
    validUntil: datetime,
    gates: Gates.optional(),
    attachmentIds: z.array(z.uuid()).max(10).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = validityIssue(v.passType, new Date(v.validFrom), new Date(v.validUntil));
    if (issue) ctx.addIssue({ code: 'custom', path: ['validUntil'], message: issue });
  });

export const ApplicationIdParams = z.object({ id: z.uuid() });

export const ApplicationListQuery = z
  .object({
    ...PageQuery,
    status: z.enum(APPLICATION_STATUSES).optional(),
    studentId: z.uuid().optional(),
  })
  .strict();

export const QueueQuery = z
  .object({
    ...PageQuery,
    status: z.enum(['submitted', 'under_review']).optional(),
  })
  .strict();

export const ReviewBody = z.object({ priority: z.number().int().min(0).max(9).optional() }).strict();

/** Staff may narrow what was asked for (shorter validity, fewer gates) when approving. */
export const ApproveBody = z
  .object({
    reason: z.string().trim().min(1).max(2000).optional(),
    validFrom: datetime.optional(),
    validUntil: datetime.optional(),
    gates: Gates.optional(),
  })
  .strict();

export const RejectBody = z.object({ reason: z.string().trim().min(3).max(2000) }).strict();

export const WithdrawBody = z.object({ reason: z.string().trim().min(1).max(2000).optional() }).strict();

export type ApplicationCreateInput = z.infer<typeof ApplicationCreate>;
export type ApplicationListInput = z.infer<typeof ApplicationListQuery>;
export type QueueInput = z.infer<typeof QueueQuery>;
export type ReviewInput = z.infer<typeof ReviewBody>;
export type ApproveInput = z.infer<typeof ApproveBody>;
export type RejectInput = z.infer<typeof RejectBody>;
export type WithdrawInput = z.infer<typeof WithdrawBody>;
