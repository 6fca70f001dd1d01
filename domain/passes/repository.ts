/** SQL for passes; issuance signs the QR token, so the row and its code are created together. */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { unprocessable } from '../errors.js';
import { hideDeletedStudents } from '../students/visibility.js';
import { decodeCursor, page } from '../pagination.js';
import type { PassType } from './schemas.js';
import type { PassSigner } from './signing.js';
import type { PassDto, PassStatus } from './views.js';
export type { PassDto } from './views.js';

interface PassRow {
  id: string;
  student_id: string;
  application_id: string | null;
  pass_type: PassType;
  /** Stored: `active` or `revoked`; `expired` and `scheduled` are worked out from the dates. */
  status: PassStatus;
  valid_from: Date;
  valid_until: Date;
  gates: string[] | null;
  key_id: string;
  qr_token: string;
  issued_by: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
  created_at: Date;
}

const COLUMNS = [
  'id',
  'student_id',
  'application_id',
  'pass_type',
  'status',
  'valid_from',
  'valid_until',
  'gates',
  'key_id',
  'qr_token',
  'issued_by',
  'revoked_at',
  'revoke_reason',
  'created_at',
];

export function effectiveStatus(row: Pick<PassRow, 'status' | 'valid_from' | 'valid_until'>, now = new Date()): PassStatus {
  if (row.status !== 'active') return row.status;
  if (row.valid_until <= now) return 'expired';
  if (row.valid_from > now) return 'scheduled';
  return 'active';
}

function toDto(row: PassRow): PassDto {
  return {
    id: row.id,
    studentId: row.student_id,
    applicationId: row.application_id,
    passType: row.pass_type,
    status: effectiveStatus(row),
    validFrom: row.valid_from.toISOString(),
    validUntil: row.valid_until.toISOString(),
    gates: row.gates,
    keyId: row.key_id,
    code: row.qr_token,
    issuedBy: row.issued_by,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    revokeReason: row.revoke_reason,
    createdAt: row.created_at.toISOString(),
  };
}

export interface IssuePassInput {
  studentId: string;
  passType: PassType;
  validFrom: Date;
  validUntil: Date;
  gates?: string[] | null | undefined;
  applicationId?: string | null;
  issuedBy: string | null;
}

/** Issues a pass to an active student: signs its token and inserts the row, inside the caller's transaction. */
export async function issuePass(db: Knex | Knex.Transaction, signer: PassSigner, input: IssuePassInput): Promise<PassDto> {
  const student = (await db('students').select('status').where({ id: input.studentId }).whereNull('deleted_at').first()) as
    { status: string } | undefined;
  if (!student) throw unprocessable('No such student.', 'UNKNOWN_STUDENT', { studentId: input.studentId });
  if (student.status !== 'active')
    throw unprocessable(`The student is ${student.status}; only active students get passes.`, 'STUDENT_NOT_ELIGIBLE');
  // The token carries whole seconds; the row stores the same instants so both always agree.
  const validFrom = Math.floor(input.validFrom.getTime() / 1000);
  const validUntil = Math.floor(input.validUntil.getTime() / 1000);
  const id = randomUUID();
  const gates = input.gates && input.gates.length > 0 ? [...new Set(input.gates)].sort() : undefined;
  const code = signer.sign({
    passId: id,
    studentId: input.studentId,
    passType: input.passType,
    validFrom,
    validUntil,
    ...(gates ? { gates } : {}),
    issuedAt: Math.floor(Date.now() / 1000),
  });
  const [row] = await db('passes')
    .insert({
      id,
      student_id: input.studentId,
      application_id: input.applicationId ?? null,
      pass_type: input.passType,
      valid_from: new Date(validFrom * 1000),
      valid_until: new Date(validUntil * 1000),
      gates: gates ?? null,
      key_id: signer.keyId,
      qr_token: code,
      qr_code_hash: createHash('sha256').update(code).digest('hex'),
      issued_by: input.issuedBy,
    })
    .returning(COLUMNS);
  return toDto(row as PassRow);
}

/** One pass's row with the given columns, unless its student was erased. */
function visiblePassRow(db: Knex, id: string, columns: string[]) {
  return hideDeletedStudents(db('passes').select(columns).where({ id }), 'passes.student_id').first();
}

export async function findPass(db: Knex, id: string): Promise<PassDto | undefined> {
  const row = (await visiblePassRow(db, id, COLUMNS)) as PassRow | undefined;
  return row ? toDto(row) : undefined;
}

/** A pass's QR code as stored with it: the PNG's bytes and the ETag of the rendering they came from. */
export interface StoredQrPng {
  body: Buffer;
  etag: string;
}

/** A pass and, when one was stored, its rendered PNG: one read for the QR route. */
export async function findPassWithQrPng(db: Knex, id: string): Promise<{ pass: PassDto; png?: StoredQrPng } | undefined> {
  const row = (await visiblePassRow(db, id, [...COLUMNS, 'qr_png', 'qr_png_etag'])) as
    (PassRow & { qr_png: Buffer | null; qr_png_etag: string | null }) | undefined;
  if (!row) return undefined;
  return { pass: toDto(row), ...(row.qr_png && row.qr_png_etag ? { png: { body: row.qr_png, etag: row.qr_png_etag } } : {}) };
}

/** Keeps a pass's rendered PNG with it (not a change to the pass: `updated_at` stays). */
export async function storeQrPng(db: Knex, id: string, png: StoredQrPng): Promise<void> {
  await db('passes').where({ id }).update({ qr_png: png.body, qr_png_etag: png.etag });
}

/** Revokes an active pass; undefined when it does not exist or was already revoked. */
export async function revokePass(db: Knex | Knex.Transaction, id: string, by: string | null, reason: string): Promise<PassDto | undefined> {
  const [row] = await db('passes')
    .where({ id, status: 'active' })
    .update({ status: 'revoked', revoked_at: db.fn.now(), revoked_by: by, revoke_reason: reason, updated_at: db.fn.now() })
    .returning(COLUMNS);
  return row ? toDto(row as PassRow) : undefined;
}

/** Revokes every active pass of a student; returns what each gate must learn (id, valid until). */
export async function revokeStudentPasses(
  trx: Knex.Transaction,
  studentId: string,
  by: string | null,
  reason: string,
): Promise<{ id: string; validUntil: Date }[]> {
  const rows = (await trx('passes')
    .where({ student_id: studentId, status: 'active' })
    .update({ status: 'revoked', revoked_at: trx.fn.now(), revoked_by: by, revoke_reason: reason, updated_at: trx.fn.now() }, [
      'id',
      'valid_until',
    ])) as {
    id: string;
    valid_until: Date;
  }[];
  return rows.map((r) => ({ id: r.id, validUntil: r.valid_until }));
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listPasses(
  db: Knex,
  query: { limit: number; cursor?: string | undefined; studentId?: string | undefined; status?: string | undefined },
): Promise<{ items: PassDto[]; nextCursor: string | null }> {
  const q = db('passes')
    .select([...COLUMNS, db.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`)])
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1);
  hideDeletedStudents(q, 'passes.student_id');
  if (query.studentId) q.where('student_id', query.studentId);
  if (query.status === 'revoked') q.where('status', 'revoked');
  if (query.status === 'active') q.where('status', 'active').where('valid_until', '>', db.fn.now());
  if (query.status === 'expired') q.where('status', 'active').where('valid_until', '<=', db.fn.now());
  if (query.cursor) {
    const [ts, id] = decodeCursor(query.cursor);
    q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [String(ts), String(id)]);
  }
  const { items, nextCursor } = page((await q) as (PassRow & { cursor_ts: string })[], query.limit, (r) => [r.cursor_ts, r.id]);
  return { items: items.map(toDto), nextCursor };
}
