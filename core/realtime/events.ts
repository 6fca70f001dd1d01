/**
 * The messages of the real-time feeds, as zod schemas: publishers are type-checked against them
 * and the AsyncAPI document is generated from them, so the document cannot drift from the wire.
 */
import { z } from 'zod';

const id = z.uuid();

export const NOTIFICATION_EVENTS = {
  'application.submitted': z.object({ applicationId: id, passType: z.string() }),
  'application.approved': z.object({ applicationId: id, passId: id }),
  'application.rejected': z.object({ applicationId: id, reason: z.string().nullable() }),
  'pass.issued': z.object({ passId: id, passType: z.string(), validUntil: z.string() }),
  'pass.revoked': z.object({ passId: id, reason: z.string().nullable() }),
  'pass.expiring': z.object({ passId: id, validUntil: z.string() }),
  'upload.ready': z.object({ uploadId: id }),
  'upload.rejected': z.object({ uploadId: id, reason: z.string() }),
  'report.ready': z.object({ reportId: id, type: z.string() }),
} as const;

export const GATE_EVENTS = {
  /** One per verification. Carries no name or student record: only what `security` may read. */
  'gate.verdict': z.object({
    gate: z.string(),
    direction: z.enum(['entry', 'exit']),
    valid: z.boolean(),
    reason: z.string().nullable(),
    passId: id.nullable(),
    passType: z.string().nullable(),
    checkedAt: z.string(),
    degraded: z.boolean(),
  }),
} as const;

export const ANALYTICS_EVENTS = {
  /** Today's running totals (UTC day), sent whenever they change, at most about once a second per pod. */
  'analytics.counters': z.object({ day: z.string(), counters: z.record(z.string(), z.number().int()) }),
} as const;

export type NotificationEventName = keyof typeof NOTIFICATION_EVENTS;
export type NotificationData<E extends NotificationEventName> = z.infer<(typeof NOTIFICATION_EVENTS)[E]>;
export type GateVerdict = z.infer<(typeof GATE_EVENTS)['gate.verdict']>;

/** What a stream entry and a live message carry (the id comes from the stream). */
export interface RealtimePayload {
  /** The user id for a user's notifications; the feed name for a feed. */
  scope: string;
  event: string;
  data: unknown;
  /** Publish time (ms since the epoch), for publish-to-receive latency. */
  at: number;
}
