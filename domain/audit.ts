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

/** Who caused a change: a user (null for the platform itself, e.g. a worker's decision) and the request it came with. */
export interface Actor {
  id: string | null;
  requestId?: string;
}

/**
 * What an action did to which entity; the actor and the request are the action's. `actorId` is set
 * only by an action that learns who acts as it runs (a presented refresh token names its owner).
 */
export type AuditedEvent = Omit<AuditEvent, 'actorId' | 'requestId'> & { actorId?: string | null };

/** Records one event of the running action, in its transaction. */
export type RecordEvent = (event: AuditedEvent) => Promise<void>;

/**
 * An audited action: `work` runs in one transaction on `db` and records what it did through
 * `record`, so every entry commits with the change or not at all and names the actor and request
 * without each caller repeating them. A guarded change that finds nothing to do records nothing.
 */
export async function auditedAction<T>(
  db: Knex,
  actor: Actor,
  work: (trx: Knex.Transaction, record: RecordEvent) => Promise<T>,
): Promise<T> {
  return db.transaction((trx) =>
    work(trx, (event) =>
      audit(trx, { ...event, actorId: event.actorId === undefined ? actor.id : event.actorId, requestId: actor.requestId }),
    ),
  );
}
