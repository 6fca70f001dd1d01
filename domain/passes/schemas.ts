import { z } from 'zod';
import { PageQuery } from '../pagination.js';

export const PASS_TYPES = ['standard', 'temporary'] as const;
export type PassType = (typeof PASS_TYPES)[number];

const DAY_MS = 86_400_000;
/** Longest validity of each pass type: a temporary pass covers a short visit, a standard one a year. */
export const MAX_VALIDITY_MS: Record<PassType, number> = { temporary: 7 * DAY_MS, standard: 366 * DAY_MS };

export const Gate = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a gate is a lower-case slug such as main-gate');
export const Gates = z.array(Gate).min(1).max(16);

/** Checks a validity window against its pass type; shared by pass issuance and applications. */
export function validityIssue(passType: PassType, from: Date, until: Date): string | undefined {
  if (until.getTime() <= from.getTime()) return 'validUntil must be after validFrom';
  if (until.getTime() - from.getTime() > MAX_VALIDITY_MS[passType]) {
    return `a ${passType} pass is valid for at most ${MAX_VALIDITY_MS[passType] / DAY_MS} days`;
  }
  return undefined;
}

export const PassCreate = z
  .object({
    studentId: z.uuid(),
    passType: z.enum(PASS_TYPES).default('standard'),
    validFrom: z.iso.datetime({ offset: true }).optional(),
    validUntil: z.iso.datetime({ offset: true }),
    gates: Gates.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = validityIssue(v.passType, v.validFrom ? new Date(v.validFrom) : new Date(), new Date(v.validUntil));
    if (issue) ctx.addIssue({ code: 'custom', path: ['validUntil'], message: issue });
  });

export const PassIdParams = z.object({ id: z.uuid() });

export const PassRevoke = z.object({ reason: z.string().trim().min(3).max(500) }).strict();

export const QrQuery = z.object({ format: z.enum(['png', 'svg']).optional() }).strict();

export const PassListQuery = z
  .object({
    ...PageQuery,
    studentId: z.uuid().optional(),
    status: z.enum(['active', 'revoked', 'expired']).optional(),
  })
  .strict();

export const VerifyBody = z
  .object({
    code: z.string().min(1).max(4096),
    gate: Gate,
    direction: z.enum(['entry', 'exit']),
  })
  .strict();

export type PassCreateInput = z.infer<typeof PassCreate>;
export type PassListInput = z.infer<typeof PassListQuery>;
