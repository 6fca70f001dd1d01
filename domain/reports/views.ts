/** What the API answers about reports. */
import { z } from 'zod';
import { REPORT_TYPES } from '../../core/report-request.js';
import { Day, Id, Instant } from '../views.js';

export const REPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const ReportView = z.strictObject({
  id: Id,
  type: z.enum(REPORT_TYPES),
  range: z.strictObject({ from: Day, to: Day }),
  filters: z.strictObject({ gates: z.array(z.string()).optional(), direction: z.enum(['entry', 'exit']).optional() }),
  status: z.enum(REPORT_STATUSES),
  progress: z.number(),
  error: z.string().nullable(),
  rowCount: z.number().int().nullable(),
  links: z.strictObject({ csv: z.string(), html: z.string() }).nullable(),
  createdAt: Instant,
  completedAt: Instant.nullable(),
});
export type ReportDto = z.infer<typeof ReportView>;
