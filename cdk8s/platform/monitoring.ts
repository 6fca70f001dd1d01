import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import { METRICS_LABEL, PLATFORM_LABEL, childLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

/** ServiceMonitor for the API and workers, the platform's PrometheusRule, and dashboards for Grafana's sidecar. */
export class PlatformMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps) {
    super(scope, id);
    const names = childNames(props.name);
    const labels = childLabels(props.name, 'monitoring', props.spec.version);
    // The API and workers answer /metrics only with the platform's METRICS_TOKEN (core/metrics-access.ts).
    const authorization = { type: 'Bearer', credentials: { name: names.keys, key: 'METRICS_TOKEN' } };
    new ApiObject(this, 'service-monitor', {
      apiVersion: MONITORING_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: { name: names.monitor, labels },
      spec: {
        selector: { matchLabels: { [PLATFORM_LABEL]: props.name, [METRICS_LABEL]: 'true' } },
        endpoints: [
          { port: 'http', path: '/metrics', interval: '15s', authorization },
          { port: 'metrics', path: '/metrics', interval: '15s', authorization },
        ],
      },
    });
    new ApiObject(this, 'rules', {
      apiVersion: MONITORING_API_VERSION,
      kind: 'PrometheusRule',
      // spec.monitoring.ruleLabels lets a kube-prometheus ruleSelector (e.g. release=…) pick the rules up; ours win on conflict.
      metadata: { name: names.rules, labels: { ...props.spec.monitoring?.ruleLabels, ...labels } },
      spec: { groups: props.ruleGroups },
    });
    new k8s.KubeConfigMap(this, 'dashboards', {
      // grafana_dashboard is the label Grafana's dashboard sidecar loads ConfigMaps by.
      metadata: { name: names.dashboards, labels: { ...labels, grafana_dashboard: '1' } },
      data: props.dashboards,
    });
  }
}
