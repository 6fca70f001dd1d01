import { normaliseReportRequest, reportRequestHash } from '../../core/report-request.js';
import type { AppDeps } from '../context.js';
import { conflict, notFound } from '../../domain/errors.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { findReport, insertOrReuseReport, toDto } from '../../domain/reports/repository.js';
import { DownloadQuery, ReportCreate, ReportIdParams } from '../../domain/reports/schemas.js';
import { z } from 'zod';
import { ReportView } from '../../domain/reports/views.js';

const route = routeGroup({ tag: 'reports', sla: 'reports' });

const REPORT_READERS = ['admin', 'staff'] as const;

export function reportRoutes(deps: AppDeps): AnyRoute[] {
  const { db, queues, storage, config } = deps;

  return [
    route({
      method: 'post',
      path: '/reports',
      summary: 'Request a report (daily-summary, weekly-trends, monthly, annual); identical requests within a short window share one',
      access: REPORT_READERS,
      response: { data: ReportView.extend({ reused: z.boolean() }) },
      body: ReportCreate,
      responses: { 202: 'Accepted; poll GET /reports/{id}' },
      async handler(ctx, { body, user }) {
        const now = new Date();
        const request = normaliseReportRequest(body, now);
        const hash = reportRequestHash(request, now, config.REPORT_DEDUPE_WINDOW_SECONDS);
        const { row, reused } = await insertOrReuseReport(db.primary, request, hash, user.id);
        // Enqueued on reuse as well: a no-op while its job exists, and a repair if enqueueing failed before.
        if (row.status === 'queued') await queues.enqueueReport(row.id);
        ctx.set('Location', `/reports/${row.id}`);
        return { status: 202, data: { ...toDto(row), reused } };
      },
    }),
    route({
      method: 'get',
      path: '/reports/:id',
      summary: 'A report: status, progress, and download links once completed',
      access: REPORT_READERS,
      response: { data: ReportView },
      params: ReportIdParams,
      async handler(_ctx, { params }) {
        const row = await findReport(db.primary, params.id);
        if (!row) throw notFound('Report');
        return { data: toDto(row) };
      },
    }),
    route({
      method: 'get',
      path: '/reports/:id/download',
      summary: 'Download a completed report as CSV or as a readable HTML page',
      access: REPORT_READERS,
      response: { media: ['text/csv', 'text/html'] },
      params: ReportIdParams,
      query: DownloadQuery,
      responses: { 200: 'text/csv or text/html', 404: 'No such report', 409: 'The report is not completed' },
      async handler(ctx, { params, query }) {
        const row = await findReport(db.primary, params.id);
        if (!row) throw notFound('Report');
        const key = query.format === 'csv' ? row.csv_key : row.html_key;
        if (row.status !== 'completed' || !key) throw conflict('The report is not ready yet.', 'REPORT_NOT_READY', { status: row.status });
        const name = `${row.type}-${row.range_from}-${row.range_to}.${query.format}`;
        ctx.type = query.format === 'csv' ? 'text/csv; charset=utf-8' : 'text/html; charset=utf-8';
        if (query.format === 'csv') ctx.attachment(name);
        ctx.body = storage.read(key);
      },
    }),
  ];
}
