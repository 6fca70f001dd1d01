/** What every PassPlatform dashboard shares: the namespace variable and its matchers. */
import { METRIC } from '../../core/metric-names.js';
import type { Matchers } from '../../alerts/promql.js';
import type { Variable } from '../builder.js';

export const TAGS = ['passplatform'];

/** One platform per namespace, picked at the top of every dashboard. */
export const NAMESPACE_VARIABLE: Variable = {
  name: 'namespace',
  label: 'Namespace',
  query: `label_values(${METRIC.httpServerDuration}_count, namespace)`,
};

/** Workload series (API, workers) of the chosen platform. */
export const WORKLOAD: Matchers = { namespace: '$namespace' };
/** The operator's series about the chosen platform. */
export const PLATFORM: Matchers = { platform_namespace: '$namespace' };

export const RATE = '$__rate_interval';
