/**
 * Requests the API served in a report's period, read from the platform's own Prometheus (the
 * HTTP histogram's count, summed with increase()), for the cost per 1,000 requests. Counted only
 * as far back as Prometheus keeps data (15 days by default), so a whole month needs a longer
 * retention; active users have no metric and are left to the caller (`activeUsers=` on the URL).
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { UsageProvider } from '../http.js';
import { monthRange } from '../report.js';
import { PrometheusClient } from '../../autoscaling/signals/prometheus-client.js';
import { apiRequestsOver } from '../../autoscaling/signals/queries.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../../platform-api/v1alpha1/index.js';

export function prometheusRequestUsage(kubeConfig: KubeConfig, clock: () => number = Date.now): UsageProvider {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return async ({ namespace, name }, period) => {
    const range = 'month' in period ? monthRange(period.month) : period;
    const end = Math.min(range.to, clock());
    if (end <= range.from) return undefined;
    try {
      const platform = (await custom.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as PassPlatform;
      const client = new PrometheusClient(platform.spec.autoscaling.prometheusUrl);
      const scope = { matchers: `namespace="${namespace}"`, window: '1m' };
      const [sample] = await client.query(apiRequestsOver(scope, (end - range.from) / 1000), new Date(end));
      return sample && Number.isFinite(sample.value) ? { requests: Math.round(sample.value) } : undefined;
    } catch {
      // Without Prometheus the report still has everything but the unit cost.
      return undefined;
    }
  };
}
