/**
 * Every PassPlatform dashboard, built from a platform's SLA targets and alert thresholds (drawn
 * as threshold lines). The operator ships them as dashboard ConfigMaps; the checked-in JSON under
 * `grafana/json/` is the same call on the catalog's defaults.
 */
import { DEFAULT_QUEUE_ALERTS, type QueueAlertSpec } from '../alerts/context.js';
import type { AlertThresholdSpec, SlaSpec } from '../platform-api/v1alpha1/index.js';
import { apiDashboard } from './boards/api.js';
import { autoscalerDashboard } from './boards/autoscaler.js';
import { costDashboard } from './boards/cost.js';
import { dataDashboard } from './boards/data.js';
import { overviewDashboard } from './boards/overview.js';
import { workersDashboard } from './boards/workers.js';
import { buildDashboard } from './builder.js';

export type DashboardJson = Record<string, unknown> & { uid: string; title: string };

/** Dashboard JSON objects keyed by a file-friendly name (`overview`, `api`, …). */
export function buildDashboards(
  sla: SlaSpec,
  alerts: AlertThresholdSpec,
  queues: QueueAlertSpec = DEFAULT_QUEUE_ALERTS,
): Map<string, DashboardJson> {
  const specs = {
    overview: overviewDashboard(sla, alerts),
    api: apiDashboard(alerts),
    workers: workersDashboard(alerts, queues),
    data: dataDashboard(alerts),
    autoscaler: autoscalerDashboard(),
    cost: costDashboard(),
  };
  return new Map(Object.entries(specs).map(([name, spec]) => [name, buildDashboard(spec) as DashboardJson]));
}
