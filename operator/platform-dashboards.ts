/**
 * The dashboard ConfigMap contents of one platform: an overview with p95 per SLA class against its
 * target, traffic, errors and replicas per component. Reconcile takes the builder as a parameter,
 * so the `grafana/` generator can replace this one without touching reconcile.
 */
import { METRIC } from '../core/metric-names.js';
import { SLA_CLASS_NAMES } from '../core/sla.js';
import type { PassPlatformSpec } from './spec.js';

export type DashboardBuilder = (platform: { name: string; namespace: string; spec: PassPlatformSpec }) => Record<string, string>;

interface Panel {
  title: string;
  unit: string;
  targets: { expr: string; legendFormat: string }[];
}

export const buildPlatformDashboards: DashboardBuilder = ({ name, namespace, spec }) => {
  const sel = `namespace="${namespace}",service="${name}-api"`;
  const http = METRIC.httpServerDuration;
  const panels: Panel[] = [
    {
      title: 'p95 latency by SLA class (dashed: target)',
      unit: 's',
      targets: SLA_CLASS_NAMES.flatMap((c) => [
        { expr: `histogram_quantile(0.95, sum by (le) (rate(${http}_bucket{${sel},sla_class="${c}"}[5m])))`, legendFormat: c },
        { expr: `vector(${spec.sla[c]})`, legendFormat: `${c} target` },
      ]),
    },
    { title: 'Requests per second', unit: 'reqps', targets: [{ expr: `sum(rate(${http}_count{${sel}}[1m]))`, legendFormat: 'rps' }] },
    {
      title: 'Error ratio',
      unit: 'percentunit',
      targets: [
        {
          expr: `sum(rate(${http}_count{${sel},http_response_status_code=~"5.."}[5m])) / sum(rate(${http}_count{${sel}}[5m]))`,
          legendFormat: '5xx',
        },
      ],
    },
    {
      title: 'Replicas by component',
      unit: 'short',
      targets: [{ expr: `${METRIC.appliedReplicas}{platform="${name}",platform_namespace="${namespace}"}`, legendFormat: '{{component}}' }],
    },
  ];
  const dashboard = {
    uid: `passplatform-${namespace}-${name}`.slice(0, 40),
    title: `PassPlatform ${namespace}/${name}`,
    tags: ['passplatform'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    panels: panels.map((panel, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: panel.title,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), ...t })),
    })),
  };
  return { 'passplatform-overview.json': JSON.stringify(dashboard, null, 2) };
};
