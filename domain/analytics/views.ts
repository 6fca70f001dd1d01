/** What the API answers for the analytics routes. */
import { z } from 'zod';
import { Instant } from '../views.js';

const Count = z.number().int().nonnegative();

export const VerificationBucketView = z.strictObject({
  bucket: Instant,
  gate: z.string(),
  total: Count,
  valid: Count,
  invalid: Count,
  entries: Count,
  exits: Count,
});
export type VerificationBucket = z.infer<typeof VerificationBucketView>;

export const VerificationsView = z.strictObject({
  granularity: z.enum(['hour', 'day']),
  from: Instant,
  to: Instant,
  buckets: z.array(VerificationBucketView),
  outcomes: z.record(z.string(), Count),
});

export const FunnelFigures = z.strictObject({
  submitted: Count,
  byStatus: z.record(z.string(), Count),
  decided: Count,
  approvalRate: z.number().nullable(),
  medianHoursToDecision: z.number().nullable(),
});
export type Funnel = z.infer<typeof FunnelFigures>;
export const FunnelView = FunnelFigures.extend({ from: Instant, to: Instant });

export const ActivePassFigures = z.strictObject({
  active: z.record(z.string(), Count),
  scheduled: Count,
  expiringWithin7Days: Count,
  revokedLast30Days: Count,
});
export type ActivePasses = z.infer<typeof ActivePassFigures>;
export const ActivePassesView = ActivePassFigures.extend({ at: Instant });
