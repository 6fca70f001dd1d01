import type { Component, PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';

/** A Prometheus rule group as PrometheusRule and rule files write it. */
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: {
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }[];
}

/** Everything the platform chart needs; reconcile decides each value, the constructs only shape objects. */
export interface PlatformChildrenProps {
  name: string;
  namespace: string;
  spec: PassPlatformSpec;
  /** Replicas per component, already clamped to the spec's ranges. */
  replicas: Record<Component, number>;
  /** Base64 values of the generated-keys Secret. */
  keys: Record<string, string>;
  /** Redis pods to run; more than shards × (1 + replicas) while removed shards are drained. */
  redisNodes: number;
  ruleGroups: RuleGroup[];
  /** Dashboard file name → Grafana dashboard JSON. */
  dashboards: Record<string, string>;
}
