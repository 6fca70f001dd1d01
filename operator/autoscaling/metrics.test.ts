import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { AutoscalerMetrics } from './metrics.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };

describe('AutoscalerMetrics', () => {
  it('exports desired replicas, decisions by direction and the run time', async () => {
    const registry = new Registry();
    const metrics = new AutoscalerMetrics(registry);
    const now = Date.UTC(2025, 2, 3, 9, 0);
    const signals = {
      observedAt: now,
      api: { requestRate: { student_queries: 400 }, p95LatencySeconds: { student_queries: 0.15 }, cpuCores: 4, readyPods: 2 },
    };
    const result = metrics.run({ namespace: 'north', name: 'campus' }, spec, undefined, signals, now);
    const text = await registry.metrics();
    assert.match(
      text,
      new RegExp(`${METRIC.desiredReplicas}\\{platform="campus",platform_namespace="north",component="api"\\} ${result.replicas.api}`),
    );
    assert.match(
      text,
      new RegExp(`${METRIC.scalingDecisions}\\{platform="campus",platform_namespace="north",component="api",direction="up"\\} 1`),
    );
    assert.match(text, new RegExp(`${METRIC.autoscalerLastRun}\\{platform="campus",platform_namespace="north"\\} ${now / 1000}`));
  });
});
