import { z } from 'zod';
import { Gate } from '../passes/schemas.js';

const datetime = z.iso.datetime({ offset: true });

export const GRANULARITY_MS = { hour: 3_600_000, day: 86_400_000 } as const;
/** Widest range per granularity, so one request cannot ask for a million buckets. */
export const MAX_BUCKETS = 24 * 31;

export const VerificationsQuery = z
  .object({
    granularity: z.enum(['hour', 'day']).default('hour'),
    from: datetime.optional(),
    to: datetime.optional(),
    gate: Gate.optional(),
    layout: z
      .enum(['rows', 'series'])
      .default('rows')
      .describe('rows: an object per bucket and gate; series: per gate, an array per figure with a value per bucket (≈ 7× smaller)'),
  })
  .strict();

export const RangeQuery = z.object({ from: datetime.optional(), to: datetime.optional() }).strict();

export type VerificationsInput = z.infer<typeof VerificationsQuery>;
