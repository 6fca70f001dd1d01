/** SQL for pass applications: rows in, DTOs out; the queue reads idx_applications_processing_queue in order. */
import type { Knex } from 'knex';
import { decodeCursor, page } from '../pagination.js';
import { hideDeletedStudents } from '../students/visibility.js';
import { allowedActions, type ApplicationStatus } from './state-machine.js';
import type { PassType } from '../passes/schemas.js';
import type { ApplicationCreateInput, ApplicationListInput, QueueInput } from './schemas.js';
import type { ApplicationDto } from './views.js';
export type { ApplicationDto } from './views.js';

export interface ApplicationRow {
  id: string;
  student_id: string;
  pass_type: PassType;
  reason: string;
  requested_valid_from: Date;
  requested_valid_until: Date;
  gates: string[] | null;
  attachment_ids: string[];
  priority: number;
  status: ApplicationStatus;
  decision_reason: string | null;
  reviewer_id: string | null;
  decided_at: Date | null;
  pass_id: string | null;
  submitted_at: Date;
  updated_at: Date;
  cursor_ts?: string;
}

const COLUMNS = [
  'id',
  'student_id',
  'pass_type',
  'reason',
  'requested_valid_from',
  'requested_valid_until',
  'gates',
  'attachment_ids',
  'priority',
  'status',
  'decision_reason',
  'reviewer_id',
  'decided_at',
  'pass_id',
  'submitted_at',
  'updated_at',
];

const CURSOR_TS = `to_char(submitted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`;

export function toDto(row: ApplicationRow): ApplicationDto {
  return {
    id: row.id,
    studentId: row.student_id,
    passType: row.pass_type,
    reason: row.reason,
    requestedValidFrom: row.requested_valid_from.toISOString(),
    requestedValidUntil: row.requested_valid_until.toISOString(),
    gates: row.gates,
    attachmentIds: row.attachment_ids,
    priority: row.priority,
    status: row.status,
    allowedActions: allowedActions(row.status),
    decisionReason: row.decision_reason,
    reviewerId: row.reviewer_id,
    decidedAt: row.decided_at?.toISOString() ?? null,
    passId: row.pass_id,
    submittedAt: row.submitted_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Temporary passes are asked for at short notice, so they start ahead in the queue. */
export function initialPriority(passType: string): number {
  return passType === 'temporary' ? 1 : 0;
}

/**
 * Upload ids that do not name an upload of this user which passed its checks. Uploads belong to
 * another migration; when their table is absent the ids are kept unchecked.
 */
export async function unusableAttachments(db: Knex | Knex.Transaction, ownerId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const table = await db.raw<{ rows: { present: boolean }[] }>(`select to_regclass('uploads') is not null as present`);
  if (!table.rows[0]?.present) return [];
  const found = (await db('uploads').select('id').whereIn('id', ids).where('owner_id', ownerId).whereNot('status', 'rejected')) as {
    id: string;
  }[];
  const ok = new Set(found.map((r) => r.id));
  return ids.filter((id) => !ok.has(id));
}

export async function insertApplication(
  db: Knex | Knex.Transaction,
  input: ApplicationCreateInput & { studentId: string; submittedBy: string },
): Promise<ApplicationDto> {
  const [row] = await db('applications')
    .insert({
      student_id: input.studentId,
      pass_type: input.passType,
      reason: input.reason,
      requested_valid_from: input.validFrom,
      requested_valid_until: input.validUntil,
      gates: input.gates ?? null,
      attachment_ids: [...new Set(input.attachmentIds)],
      priority: initialPriority(input.passType),
      submitted_by: input.submittedBy,
    })
    .returning(COLUMNS);
  return toDto(row as ApplicationRow);
}

export async function findApplication(db: Knex, id: string): Promise<ApplicationDto | undefined> {
  const row = (await hideDeletedStudents(db('applications').select(COLUMNS).where({ id }), 'applications.student_id').first()) as
    ApplicationRow | undefined;
  return row ? toDto(row) : undefined;
}

/** Locks the row for a transition, so two reviewers cannot both decide the same application. */
export async function lockApplication(trx: Knex.Transaction, id: string): Promise<ApplicationRow | undefined> {
  return (await trx('applications').select(COLUMNS).where({ id }).forUpdate().first()) as ApplicationRow | undefined;
}

export async function updateApplication(trx: Knex.Transaction, id: string, patch: Record<string, unknown>): Promise<ApplicationDto> {
  const [row] = await trx('applications')
    .where({ id })
    .update({ ...patch, updated_at: trx.fn.now() })
    .returning(COLUMNS);
  return toDto(row as ApplicationRow);
}

/**
 * The staff queue: open applications by status, then highest priority, then oldest first. The
 * keyset condition mirrors that mixed order, so every page is a range scan of the queue index.
 */
export async function listQueue(db: Knex, query: QueueInput): Promise<{ items: ApplicationDto[]; nextCursor: string | null }> {
  const q = db('applications')
    .select([...COLUMNS, db.raw(CURSOR_TS)])
    .whereIn('status', query.status ? [query.status] : ['submitted', 'under_review'])
    .orderBy([
      { column: 'status', order: 'asc' },
      { column: 'priority', order: 'desc' },
      { column: 'submitted_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(query.limit + 1);
  hideDeletedStudents(q, 'applications.student_id');
  if (query.cursor) {
    const [status, priority, ts, id] = decodeCursor(query.cursor);
    q.whereRaw(`(status > ? or (status = ? and (priority < ? or (priority = ? and (submitted_at, id) > (?::timestamptz, ?::uuid)))))`, [
      String(status),
      String(status),
      Number(priority),
      Number(priority),
      String(ts),
      String(id),
    ]);
  }
  const { items, nextCursor } = page((await q) as ApplicationRow[], query.limit, (r) => [r.status, r.priority, r.cursor_ts ?? '', r.id]);
  return { items: items.map(toDto), nextCursor };
}

/** Newest first, keyset-paginated on (submitted_at, id). */
export async function listApplications(
  db: Knex,
  query: ApplicationListInput,
): Promise<{ items: ApplicationDto[]; nextCursor: string | null }> {
  const q = db('applications')
    .select([...COLUMNS, db.raw(CURSOR_TS)])
    .orderBy([
      { column: 'submitted_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1);
  hideDeletedStudents(q, 'applications.student_id');
  if (query.status) q.where('status', query.status);
  if (query.studentId) q.where('student_id', query.studentId);
  if (query.cursor) {
    const [ts, id] = decodeCursor(query.cursor);
    q.whereRaw('(submitted_at, id) < (?::timestamptz, ?::uuid)', [String(ts), String(id)]);
  }
  const { items, nextCursor } = page((await q) as ApplicationRow[], query.limit, (r) => [r.cursor_ts ?? '', r.id]);
  return { items: items.map(toDto), nextCursor };
}
