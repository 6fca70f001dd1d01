/**
 * The operator's cost report endpoint: GET /cost/:namespace/:name with `month=YYYY-MM` (or
 * `from`/`to`), `format=json|csv|csv-totals|csv-hourly|html`, and optionally the API's `requests` and
 * `activeUsers` for the period (read from Prometheus otherwise, with the containers' usage). JSON comes in the platform's `{"data": …}` envelope; errors as
 * `{"error": {code, message}}`.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { PlatformRef } from './metrics.js';
import type { CostReportInput } from './report.js';
import {
  InvalidReportRequest,
  type PlatformCostData,
  parseFormat,
  parsePeriod,
  parseUsage,
  renderReport,
  reportFromData,
  type CostDataSource,
} from './service.js';

/**
 * What was observed of a platform over a period, as far as `now` (its Prometheus): the API's
 * requests and active users, and its containers' usage for the allocation. Given the cost data the
 * request already loaded, so the PassPlatform is read once per report.
 */
export type ObservedUsageProvider = (
  platform: PlatformRef,
  data: PlatformCostData,
  period: CostReportInput['period'],
  now: number,
) => Promise<Pick<CostReportInput, 'usage' | 'measured'>>;

export interface CostReportRouterOptions {
  source: CostDataSource;
  observed?: ObservedUsageProvider;
  clock?: () => number;
  /** Path prefix (default "/cost"). */
  prefix?: string;
}

export function costReportRouter(options: CostReportRouterOptions): Router {
  const router = new Router({ prefix: options.prefix ?? '/cost' });
  const clock = options.clock ?? Date.now;
  router.get('/:namespace/:name', async (ctx) => {
    try {
      const now = clock();
      const query = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined);
      const period = parsePeriod({ month: query('month'), from: query('from'), to: query('to') }, now);
      const format = parseFormat(query('format'));
      const platform = { namespace: ctx.params.namespace as string, name: ctx.params.name as string };
      const data = await options.source.load(platform);
      if (!data) return fail(ctx, 404, 'NOT_FOUND', `PassPlatform ${platform.namespace}/${platform.name} not found`);
      const observed = (await options.observed?.(platform, data, period, now)) ?? {};
      // Counts given on the URL win over what Prometheus has (e.g. a period past its retention).
      const usage = parseUsage(query('requests'), query('activeUsers')) ?? observed.usage;
      const report = reportFromData(data, {
        period,
        now,
        platform: `${platform.namespace}/${platform.name}`,
        ...(usage ? { usage } : {}),
        ...(observed.measured ? { measured: observed.measured } : {}),
      });
      if (format === 'json') {
        ctx.body = { data: report };
        return;
      }
      const rendered = renderReport(report, format);
      ctx.type = rendered.contentType;
      ctx.body = rendered.body;
    } catch (error) {
      if (error instanceof InvalidReportRequest) return fail(ctx, 400, 'INVALID_QUERY', error.message);
      throw error;
    }
  });
  return router;
}

function fail(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { error: { code, message } };
}
