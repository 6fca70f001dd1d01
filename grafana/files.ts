/** The checked-in dashboard JSON, built from the catalog's defaults (`npm run generate`). */
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { buildDashboards } from './dashboards.js';

export const DASHBOARDS_DIR = 'grafana/json';

export function generatedDashboardFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, json] of buildDashboards(DEFAULT_SLA, DEFAULT_ALERTS))
    files.set(`${DASHBOARDS_DIR}/${name}.json`, `${JSON.stringify(json, null, 2)}\n`);
  return files;
}
