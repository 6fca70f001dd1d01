/**
 * The API's own figures for a report's period, read from the platform's Prometheus:
 * - requests served: the HTTP histogram's count, summed with increase() over the period;
 * - active users: the distinct count the API keeps (one HyperLogLog per UTC day in Redis, exported
 *   as `passplatform_active_users{window="month"}`, this calendar month so far), its highest value
 *   in the period: the month's distinct users as far as the period goes (for a period spanning
 *   months, the busiest month's). Every API pod exports the same figure, so `max`, never `sum`.
 * Counted only as far back as Prometheus keeps data (15 days by default), so a whole month needs
 * a longer retention. Either figure is left out when Prometheus has none.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { UsageProvider } from '../http.js';
import { monthRange } from '../report.js';
import { PrometheusClient } from '../../autoscaling/signals/prometheus-client.js';
import { activeUsersOver, apiRequestsOver } from '../../autoscaling/signals/queries.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../../platform-api/v1alpha1/index.js';

export function prometheusApiUsage(kubeConfig: KubeConfig, clock: () => number = Date.now): UsageProvider {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return async ({ namespace, name }, period) => {
    try {
      const platform = (await custom.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as PassPlatform;
      return await apiUsageFrom(new PrometheusClient(platform.spec.autoscaling.prometheusUrl), namespace, period, clock());
    } catch {
      // Without Prometheus the report still has everything but the unit costs.
      return undefined;
    }
  };
}

/** Requests and active users of the platform in `namespace` over `period`, as far as `now`. */
export async function apiUsageFrom(
  client: PrometheusClient,
  namespace: string,
  period: Parameters<UsageProvider>[1],
  now: number,
): Promise<Awaited<ReturnType<UsageProvider>>> {
  const range = 'month' in period ? monthRange(period.month) : period;
  const end = Math.min(range.to, now);
  if (end <= range.from) return undefined;
  const scope = { matchers: `namespace="${namespace}"` };
  const seconds = (end - range.from) / 1000;
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
