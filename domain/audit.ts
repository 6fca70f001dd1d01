import type { Knex } from 'knex';

export interface AuditEvent {
  actorId: string | null;
  eventType: string;
  entityType: string;
  entityId: string | null;
  details?: Record<string, unknown>;
  requestId?: string;
}

/** Appends to the audit log inside the caller's transaction, so the event and the change commit together. */
export async function audit(db: Knex | Knex.Transaction, event: AuditEvent): Promise<void> {
  await db('audit_logs').insert({
    actor_id: event.actorId,
    event_type: event.eventType,
    entity_type: event.entityType,
    entity_id: event.entityId,
    details: JSON.stringify(event.details ?? {}),
    request_id: event.requestId ?? null,
  });
}
