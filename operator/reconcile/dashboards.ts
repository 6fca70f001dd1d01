/**
 * The dashboard ConfigMap contents of one platform: the `grafana/` dashboards (the same ones
 * checked in under grafana/) built with this platform's SLA targets and thresholds, one JSON file
 * each, for Grafana's dashboard sidecar.
 */
import { buildDashboards } from '../../grafana/dashboards.js';
import type { PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';

export type DashboardBuilder = (platform: { name: string; namespace: string; spec: PassPlatformSpec }) => Record<string, string>;

export const buildPlatformDashboards: DashboardBuilder = ({ spec }) =>
  Object.fromEntries([...buildDashboards(spec.sla, spec.alerts)].map(([name, dashboard]) => [`${name}.json`, JSON.stringify(dashboard)]));
