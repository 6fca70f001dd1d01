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

const Outcomes = z.record(z.string(), Count).describe('Verifications in the range by outcome, largest first');

/** `layout=rows` (the default): one object per bucket and gate that saw a verification. */
export const VerificationsView = z.strictObject({
  granularity: z.enum(['hour', 'day']),
  from: Instant,
  to: Instant,
  buckets: z.array(VerificationBucketView),
  outcomes: Outcomes,
});

/** One figure of one gate: a value per bucket of [from, to). */
const Series = z.array(Count);

/**
 * `layout=series`: the same figures, per gate, as arrays (what a chart plots), with no bucket time
 * or gate name repeated per value: a month of hourly figures for 6 gates is ≈ 65 KB instead of
 * ≈ 440 KB.
 */
export const VerificationSeriesView = z.strictObject({
  granularity: z.enum(['hour', 'day']),
  from: Instant,
  to: Instant,
  layout: z.literal('series'),
  gates: z
    .record(z.string(), z.strictObject({ total: Series, valid: Series, invalid: Series, entries: Series, exits: Series }))
    .describe(
      'Per gate that saw a verification in the range, each figure with one value per bucket: the i-th is the bucket starting at from + i granularities (0 when the gate saw nothing then)',
    ),
  outcomes: Outcomes,
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
