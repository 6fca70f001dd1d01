/** SQL for students: rows in, plain DTOs out (ISO strings, so cached and fresh values look the same). */
import type { Knex } from 'knex';
import { decodeCursor, page } from '../pagination.js';
import type { StudentCreateInput, StudentListInput, StudentPatchInput, StudentStatus } from './schemas.js';
import type { StudentDto } from './views.js';
export type { StudentDto } from './views.js';

export const STUDENT_COLUMNS = [
  'id',
  'student_id',
  'first_name',
  'last_name',
  'email',
  'programme',
  'year_of_study',
  'status',
  'phone',
  'date_of_birth',
  'created_at',
  'updated_at',
];

export interface StudentRow {
  id: string;
  student_id: string;
  first_name: string;
  last_name: string;
  email: string;
  programme: string;
  year_of_study: number;
  status: StudentStatus;
  phone: string | null;
  date_of_birth: Date | string | null;
  created_at: Date;
  updated_at: Date;
  cursor_ts?: string;
}

function isoDate(value: Date | string | null): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value.slice(0, 10);
  // `date` columns arrive as local-midnight Dates; format in local time to keep the calendar day.
  const y = value.getFullYear();
  const m = String(value.getMonth() + 1).padStart(2, '0');
  const d = String(value.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

export function toDto(row: StudentRow): StudentDto {
  return {
    id: row.id,
    studentId: row.student_id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    programme: row.programme,
    yearOfStudy: row.year_of_study,
    status: row.status,
    phone: row.phone,
    dateOfBirth: isoDate(row.date_of_birth),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toRow(input: Partial<StudentCreateInput>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (input.studentId !== undefined) row.student_id = input.studentId;
  if (input.firstName !== undefined) row.first_name = input.firstName;
  if (input.lastName !== undefined) row.last_name = input.lastName;
  if (input.email !== undefined) row.email = input.email;
  if (input.programme !== undefined) row.programme = input.programme.toLowerCase();
  if (input.yearOfStudy !== undefined) row.year_of_study = input.yearOfStudy;
  if (input.status !== undefined) row.status = input.status;
  if (input.phone !== undefined) row.phone = input.phone;
  if (input.dateOfBirth !== undefined) row.date_of_birth = input.dateOfBirth;
  return row;
}

export async function findStudent(db: Knex, id: string): Promise<StudentDto | undefined> {
  const row = (await db('students').select(STUDENT_COLUMNS).where({ id }).whereNull('deleted_at').first()) as StudentRow | undefined;
  return row ? toDto(row) : undefined;
}

export async function insertStudent(db: Knex | Knex.Transaction, input: StudentCreateInput): Promise<StudentDto> {
  const [row] = await db('students').insert(toRow(input)).returning(STUDENT_COLUMNS);
  return toDto(row as StudentRow);
}

export async function updateStudent(db: Knex | Knex.Transaction, id: string, patch: StudentPatchInput): Promise<StudentDto | undefined> {
  const [row] = await db('students')
    .where({ id })
    .whereNull('deleted_at')
    .update({ ...toRow(patch), updated_at: db.fn.now() })
    .returning(STUDENT_COLUMNS);
  return row ? toDto(row as StudentRow) : undefined;
}

export async function softDeleteStudent(db: Knex | Knex.Transaction, id: string): Promise<boolean> {
  const count = await db('students').where({ id }).whereNull('deleted_at').update({ deleted_at: db.fn.now(), updated_at: db.fn.now() });
  return count > 0;
}

/** Newest first, keyset-paginated on (created_at, id); the cursor keeps microseconds exactly. */
export async function listStudents(db: Knex, query: StudentListInput): Promise<{ items: StudentDto[]; nextCursor: string | null }> {
  const q = db('students')
    .select([...STUDENT_COLUMNS, db.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`)])
    .whereNull('deleted_at')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(query.limit + 1);
  if (query.status) q.where('status', query.status);
  if (query.programme) q.where('programme', query.programme.toLowerCase());
  if (query.yearOfStudy) q.where('year_of_study', query.yearOfStudy);
  if (query.cursor) {
    const [ts, id] = decodeCursor(query.cursor);
    q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [String(ts), String(id)]);
  }
  const { items, nextCursor } = page((await q) as unknown as StudentRow[], query.limit, (r) => [r.cursor_ts ?? '', r.id]);
  return { items: items.map(toDto), nextCursor };
}
