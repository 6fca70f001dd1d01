/**
 * What the HTTP endpoint and the CLI share: reading a platform's cost inputs (its spec, recent
 * decisions and durable history) from the cluster, choosing the period, and rendering a format.
 */
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  PLURAL,
  type PassPlatform,
  type PriceSpec,
  type ScalingDecisionRecord,
} from '../../platform-api/v1alpha1/index.js';
import { configMapPersistence } from './io/configmap-persistence.js';
import type { HistoryDocument } from './history-document.js';
import type { PlatformRef } from './metrics.js';
import { replicaShapes, type SizingSpec } from './prices.js';
import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { computeCostReport, monthOf, type CostReport, type CostReportInput } from './report.js';

export const REPORT_FORMATS = ['json', 'csv', 'csv-totals', 'csv-hourly', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface PlatformCostData {
  sizing: SizingSpec;
  /** Prices in the spec now: used only when the history has recorded none yet. */
  prices: PriceSpec;
  decisions: readonly ScalingDecisionRecord[];
  history: HistoryDocument;
  /** The Prometheus the platform's autoscaler reads (spec.autoscaling), where its usage is observed. */
  prometheusUrl?: string;
}

export interface CostDataSource {
  /** Undefined when the platform does not exist. */
  load(platform: PlatformRef): Promise<PlatformCostData | undefined>;
}

/** Reads the PassPlatform and its cost-history ConfigMap through the Kubernetes API. */
export function kubernetesCostSource(kubeConfig: KubeConfig): CostDataSource {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async load({ namespace, name }) {
      let platform: PassPlatform;
      try {
        platform = (await custom.getNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          namespace,
          plural: PLURAL,
          name,
        })) as PassPlatform;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
      const { doc } = await configMapPersistence({ api: core, namespace, platformName: name }).load();
      return {
        sizing: platform.spec,
        prices: platform.spec.cost,
        decisions: platform.status?.decisions ?? [],
        history: doc,
        prometheusUrl: platform.spec.autoscaling.prometheusUrl,
      };
    },
  };
}

export class InvalidReportRequest extends Error {
  override readonly name = 'InvalidReportRequest';
}

export interface PeriodQuery {
  month?: string;
  from?: string;
  to?: string;
}

/** A month ("YYYY-MM"), or a from/to pair of ISO times; the current UTC month when neither is given. */
export function parsePeriod(query: PeriodQuery, now: number): CostReportInput['period'] {
  if (query.from !== undefined || query.to !== undefined) {
    const from = Date.parse(query.from ?? '');
    const to = Date.parse(query.to ?? '');
    if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
      throw new InvalidReportRequest('from and to must both be ISO times, from before to');
    return { from, to };
  }
  const month = query.month ?? monthOf(now);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new InvalidReportRequest(`month must be YYYY-MM, got "${month}"`);
  return { month };
}

export function parseFormat(format: string | undefined): ReportFormat {
  const value = format ?? 'json';
  if (!(REPORT_FORMATS as readonly string[]).includes(value))
    throw new InvalidReportRequest(`format must be one of ${REPORT_FORMATS.join(', ')}`);
  return value as ReportFormat;
}

/** The API's request and active-user counts, given as text (query string, command line). */
export function parseUsage(requests: string | undefined, activeUsers: string | undefined): CostReportInput['usage'] {
  if (requests === undefined && activeUsers === undefined) return undefined;
  const usage = { requests: Number(requests ?? 0), activeUsers: Number(activeUsers ?? 0) };
  if (![usage.requests, usage.activeUsers].every((count) => Number.isSafeInteger(count) && count >= 0)) {
    throw new InvalidReportRequest('requests and active users must be non-negative integers');
  }
  return usage;
}

export function reportFromData(data: PlatformCostData, options: Omit<CostReportInput, 'history' | 'shapes' | 'decisions'>): CostReport {
  const history = data.history.prices.length ? data.history : { ...data.history, prices: [{ from: 0, prices: data.prices }] };
  return computeCostReport({ ...options, history, shapes: replicaShapes(data.sizing), decisions: data.decisions });
}

export interface RenderedReport {
  contentType: string;
  body: string;
}

export function renderReport(report: CostReport, format: ReportFormat): RenderedReport {
  switch (format) {
    case 'json':
      return { contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(report, null, 2)}\n` };
    case 'csv':
      return { contentType: 'text/csv; charset=utf-8', body: renderCsv(report, 'lines') };
    case 'csv-totals':
      return { contentType: 'text/csv; charset=utf-8', body: renderCsv(report, 'totals') };
    case 'csv-hourly':
      return { contentType: 'text/csv; charset=utf-8', body: renderCsv(report, 'hourly') };
    case 'html':
      return { contentType: 'text/html; charset=utf-8', body: renderHtml(report) };
  }
}
