/** SQL for report requests: insert-or-reuse on the request hash, and plain DTOs out. */
import type { Knex } from 'knex';
import type { NormalisedReportRequest, ReportFilters, ReportType } from '../../core/report-request.js';
import type { ReportDto, ReportStatus } from './views.js';
export type { ReportDto, ReportStatus } from './views.js';

export interface ReportRow {
  id: string;
  type: ReportType;
  range_from: string;
  range_to: string;
  filters: ReportFilters;
  request_hash: string;
  requested_by: string | null;
  status: ReportStatus;
  progress: number;
  error: string | null;
  row_count: number | null;
  csv_key: string | null;
  html_key: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export function toDto(row: ReportRow): ReportDto {
  const done = row.status === 'completed';
  return {
    id: row.id,
    type: row.type,
    range: { from: row.range_from, to: row.range_to },
    filters: row.filters,
    status: row.status,
    progress: row.progress,
    error: row.error,
    rowCount: row.row_count,
    links: done ? { csv: `/reports/${row.id}/download?format=csv`, html: `/reports/${row.id}/download?format=html` } : null,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

/**
 * Inserts the request unless a live report (not failed) has the same hash, in which case that
 * one is returned. The partial unique index makes this safe under concurrent identical requests.
 */
export async function insertOrReuseReport(
  db: Knex,
  request: NormalisedReportRequest,
  requestHash: string,
  requestedBy: string | null,
): Promise<{ row: ReportRow; reused: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db.raw<{ rows: ReportRow[] }>(
      `insert into reports (type, range_from, range_to, filters, request_hash, requested_by)
       values (?, ?, ?, ?::jsonb, ?, ?)
       on conflict (request_hash) where status <> 'failed' do nothing
       returning *`,
      [request.type, request.range.from, request.range.to, JSON.stringify(request.filters), requestHash, requestedBy],
    );
    const row = inserted.rows[0];
    if (row) return { row, reused: false };
    const existing = (await db('reports').where({ request_hash: requestHash }).whereNot({ status: 'failed' }).first()) as
      ReportRow | undefined;
    // The live one may have failed between the two statements; then the insert can go ahead.
    if (existing) return { row: existing, reused: true };
  }
  throw new Error('report request kept racing with a failing report');
}

export async function findReport(db: Knex, id: string): Promise<ReportRow | undefined> {
  return (await db('reports').where({ id }).first()) as ReportRow | undefined;
}
