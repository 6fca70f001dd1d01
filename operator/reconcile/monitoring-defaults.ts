/**
 * Operator-wide defaults for `spec.monitoring`, set once by the install (the chart's
 * `monitoring.runbookBaseUrl` and `monitoring.ruleLabels` values, passed to the operator as
 * DEFAULT_RUNBOOK_BASE_URL and DEFAULT_RULE_LABELS, core/operator-config.ts): a cluster whose
 * kube-prometheus selects rules by `release=…`, or whose runbooks live on an internal wiki, says so
 * once rather than in every PassPlatform. A platform's own `spec.monitoring` wins field by field;
 * rule labels merge, the platform's winning per key.
 */
import type { MonitoringSpec, PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';

/** `spec` with the operator's monitoring defaults under its own `spec.monitoring`. */
export function withMonitoringDefaults(spec: PassPlatformSpec, defaults: MonitoringSpec | undefined): PassPlatformSpec {
  if (!defaults) return spec;
  const own = spec.monitoring ?? {};
  const runbookBaseUrl = own.runbookBaseUrl ?? defaults.runbookBaseUrl;
  const ruleLabels = { ...defaults.ruleLabels, ...own.ruleLabels };
  return {
    ...spec,
    monitoring: {
      ...(runbookBaseUrl ? { runbookBaseUrl } : {}),
      ...(Object.keys(ruleLabels).length ? { ruleLabels } : {}),
    },
  };
}
