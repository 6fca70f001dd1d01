/** Reads of the access log; a time range lets Postgres skip whole monthly partitions. */
import type { Knex } from 'knex';
import { decodeCursor, page } from '../pagination.js';
import { hideDeletedStudents } from '../students/visibility.js';
import type { AccessLogQueryInput } from './schemas.js';
import type { AccessLogDto } from './views.js';
export type { AccessLogDto } from './views.js';

interface AccessLogRow {
  id: number;
  occurred_at: Date;
  pass_id: string | null;
  student_id: string | null;
  gate: string;
  direction: 'entry' | 'exit';
  outcome: string;
  verified_by: string | null;
  cursor_ts: string;
}

/** Newest first, keyset-paginated on (occurred_at, id). */
export async function listAccessLogs(db: Knex, query: AccessLogQueryInput): Promise<{ items: AccessLogDto[]; nextCursor: string | null }> {
  const q = db('access_logs')
    .select([
      'id',
      'occurred_at',
      'pass_id',
      'student_id',
      'gate',
      'direction',
      'outcome',
      'verified_by',
      db.raw(`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`),
    ])
    .orderBy([
      { column: 'occurred_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1);
  hideDeletedStudents(q, 'access_logs.student_id');
  if (query.passId) q.where('pass_id', query.passId);
  if (query.studentId) q.where('student_id', query.studentId);
  if (query.gate) q.where('gate', query.gate);
  if (query.direction) q.where('direction', query.direction);
  if (query.outcome === 'invalid') q.whereNot('outcome', 'valid');
  else if (query.outcome) q.where('outcome', query.outcome);
  if (query.from) q.where('occurred_at', '>=', query.from);
  if (query.to) q.where('occurred_at', '<', query.to);
  if (query.cursor) {
    const [ts, id] = decodeCursor(query.cursor);
    q.whereRaw('(occurred_at, id) < (?::timestamptz, ?::bigint)', [String(ts), Number(id)]);
  }
  const { items, nextCursor } = page((await q) as AccessLogRow[], query.limit, (r) => [r.cursor_ts, r.id]);
  return {
    items: items.map((r) => ({
      id: r.id,
      occurredAt: r.occurred_at.toISOString(),
      passId: r.pass_id,
      studentId: r.student_id,
      gate: r.gate,
      direction: r.direction,
      outcome: r.outcome,
      valid: r.outcome === 'valid',
      verifiedBy: r.verified_by,
    })),
    nextCursor,
  };
}
