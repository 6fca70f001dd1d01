import { z } from 'zod';
import { MAX_RANGE_DAYS, REPORT_TYPES, rangeDays } from '../../core/report-request.js';

const Range = z
  .object({ from: z.iso.date(), to: z.iso.date() })
  .strict()
  .refine((r) => r.to >= r.from, 'range.to must not be before range.from');

export const ReportCreate = z
  .object({
    type: z.enum(REPORT_TYPES),
    range: Range.optional(),
    filters: z
      .object({
        gates: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
        direction: z.enum(['entry', 'exit']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => !r.range || rangeDays(r.range) <= MAX_RANGE_DAYS[r.type], {
    message: 'the range is too long for this report type',
    path: ['range'],
  });

export const ReportIdParams = z.object({ id: z.uuid() });

export const DownloadQuery = z.object({ format: z.enum(['csv', 'html']).default('csv') }).strict();

export type ReportCreateInput = z.infer<typeof ReportCreate>;
