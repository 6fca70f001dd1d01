/**
 * The `reports` job: run the report's queries on a read replica, render CSV and HTML, store both,
 * and mark the report completed. A retry redoes the (read-only) queries and overwrites the same
 * objects; the completion is guarded on `running` and commits with its audit entry, so it
 * happens once.
 */
import { auditedAction } from '../../domain/audit.js';
import { findReport } from '../../domain/reports/repository.js';
import type { ReportJobData } from '../../core/queues.js';
import type { NormalisedReportRequest } from '../../core/report-request.js';
import type { WorkerDeps } from '../deps.js';
import { REPORT_QUERIES } from './queries.js';
import { toCsv, toHtml } from './render.js';

export type ReportOutcome = { reportId: string; rows: number } | { reportId: string; skipped: string };

export const reportKeys = (id: string) => ({ csv: `reports/${id}/report.csv`, html: `reports/${id}/report.html` });

export async function processReport(
  deps: WorkerDeps,
  data: ReportJobData,
  onProgress: (percent: number) => Promise<void>,
): Promise<ReportOutcome> {
  const { db, storage } = deps;
  const row = await findReport(db.primary, data.reportId);
  if (!row) return { reportId: data.reportId, skipped: 'no such report' };
  if (row.status === 'completed' || row.status === 'failed') return { reportId: row.id, skipped: `already ${row.status}` };

  async function progress(percent: number): Promise<void> {
    await db.primary('reports').where({ id: row!.id, status: 'running' }).update({ progress: percent });
    await onProgress(percent);
  }

  await db
    .primary('reports')
    .where({ id: row.id })
    .whereIn('status', ['queued', 'running'])
    .update({ status: 'running', started_at: db.primary.raw('coalesce(started_at, now())'), attempts: db.primary.raw('attempts + 1') });
  await progress(10);

  const request: NormalisedReportRequest = { type: row.type, range: { from: row.range_from, to: row.range_to }, filters: row.filters };
  const table = await db.read((reader) => REPORT_QUERIES[row.type](reader, request));
  await progress(60);
  await deps.pauseMidJob();

  const keys = reportKeys(row.id);
  await Promise.all([
    storage.put(keys.csv, Buffer.from(toCsv(table))),
    storage.put(keys.html, Buffer.from(toHtml(table, request, new Date()))),
  ]);
  await progress(90);

  // The report is completed on behalf of whoever asked for it.
  const completed = await auditedAction(db.primary, { id: row.requested_by }, async (trx, record) => {
    const updated = await trx('reports').where({ id: row.id, status: 'running' }).update({
      status: 'completed',
      progress: 100,
      row_count: table.rows.length,
      csv_key: keys.csv,
      html_key: keys.html,
      error: null,
      completed_at: trx.fn.now(),
    });
    if (updated)
      await record({ eventType: 'report.completed', entityType: 'report', entityId: row.id, details: { rows: table.rows.length } });
    return updated > 0;
  });
  if (completed) deps.notify.user(row.requested_by, 'report.ready', { reportId: row.id, type: row.type });
  await onProgress(100);
  return { reportId: row.id, rows: table.rows.length };
}

/** After the last attempt failed: the report is marked failed with the error, so a new request may retry it. */
export async function failReport(deps: WorkerDeps, data: ReportJobData, error: string): Promise<void> {
  await deps.db
    .primary('reports')
    .where({ id: data.reportId })
    .whereIn('status', ['queued', 'running'])
    .update({ status: 'failed', error: error.slice(0, 2000), completed_at: deps.db.primary.fn.now() });
}
