/**
 * What the platform's Prometheus knows about a report's period, read for the cost report:
 * - requests served: the HTTP histogram's count, summed with increase() over the period;
 * - active users: the distinct count the API keeps (one HyperLogLog per UTC day in Redis, exported
 *   as `passplatform_active_users{window="month"}`, this calendar month so far), its highest value
 *   in the period: the month's distinct users as far as the period goes (for a period spanning
 *   months, the busiest month's). Every API pod exports the same figure, so `max`, never `sum`;
 * - what the pods' containers used, hour by hour, from cAdvisor (container-usage.ts), which the
 *   report allocates by max(request, usage).
 * Counted only as far back as Prometheus keeps data (15 days by default), so a whole month needs
 * a longer retention. A figure Prometheus has no data for is left out.
 */
import type { ObservedUsageProvider } from '../http.js';
import type { CostReportInput } from '../report.js';
import { monthRange } from '../report.js';
import { PrometheusClient } from '../../autoscaling/signals/prometheus-client.js';
import { activeUsersOver, apiRequestsOver } from '../../autoscaling/signals/queries.js';
import type { PassPlatform } from '../../../platform-api/v1alpha1/index.js';
import { measureContainerUsage } from './container-usage.js';

/** The cost endpoint's reader: the platform's Prometheus, named by the spec its report already loaded. */
export const prometheusObservedUsage: ObservedUsageProvider = async ({ namespace, name }, { prometheusUrl }, period, now) =>
  prometheusUrl ? observedUsage(new PrometheusClient(prometheusUrl), { namespace, platform: name }, period, now) : {};

/** The same for a PassPlatform at hand (the cost gauges' refresh), from the Prometheus its autoscaler reads. */
export function observedUsageOf(
  platform: PassPlatform,
  period: CostReportInput['period'],
  now: number,
): Promise<Pick<CostReportInput, 'usage' | 'measured'>> {
  const client = new PrometheusClient(platform.spec.autoscaling.prometheusUrl);
  return observedUsage(client, { namespace: platform.metadata.namespace, platform: platform.metadata.name }, period, now);
}

/** Requests, active users and container usage of the platform over `period`, as far as `now`. */
export async function observedUsage(
  client: PrometheusClient,
  scope: { namespace: string; platform: string },
  period: CostReportInput['period'],
  now: number,
): Promise<Pick<CostReportInput, 'usage' | 'measured'>> {
  const range = 'month' in period ? monthRange(period.month) : period;
  const end = Math.min(range.to, now);
  if (end <= range.from) return {};
  const [usage, measured] = await Promise.all([
    apiUsage(client, scope.namespace, range.from, end).catch(() => undefined),
    measureContainerUsage(client, scope, { from: range.from, to: end }).catch(() => undefined),
  ]);
  return { ...(usage ? { usage } : {}), ...(measured && Object.keys(measured).length > 0 ? { measured } : {}) };
}

async function apiUsage(client: PrometheusClient, namespace: string, from: number, end: number): Promise<CostReportInput['usage']> {
  const scope = { matchers: `namespace="${namespace}"` };
  const seconds = (end - from) / 1000;
  const [[requests], [activeUsers]] = await Promise.all([
    client.query(apiRequestsOver(scope, seconds), new Date(end)),
    client.query(activeUsersOver(scope, seconds), new Date(end)),
  ]);
  if (!requests || !Number.isFinite(requests.value)) return undefined;
  return {
    requests: Math.round(requests.value),
    ...(activeUsers && Number.isFinite(activeUsers.value) ? { activeUsers: Math.round(activeUsers.value) } : {}),
  };
}
