/**
 * The connection budget: Poolers grow with the app pods up to what Postgres' max_connections
 * allows, and the autoscaler refuses, naming the budget, an API size the largest Poolers cannot carry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APP_POOL_SIZE,
  POOLER_SERVER_CONNECTIONS,
  POSTGRES_MAX_CONNECTIONS,
  POSTGRES_RESERVED_CONNECTIONS,
} from '../../cdk8s/platform/connection-limits.js';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { MAX_POOLER_INSTANCES, maxApiPods, poolerInstances } from '../../cdk8s/platform/connection-budget.js';
import type { AutoscalerState, PlatformSignals } from './types.js';

describe('connection budget', () => {
  it('never lets the Poolers’ server connections overrun max_connections', () => {
    for (const pods of [0, 1, 10, 100, 1000, 100_000]) {
      const instances = poolerInstances(pods);
      assert.ok(instances >= 2, `${pods} pods: ${instances} instances`);
      assert.ok(instances * POOLER_SERVER_CONNECTIONS <= POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED_CONNECTIONS);
    }
    assert.ok(poolerInstances(100) > poolerInstances(10), 'more app pods, more PgBouncer instances');
    assert.equal(poolerInstances(100_000), MAX_POOLER_INSTANCES);
  });

  it('carries fewer API pods the more worker pods share the Poolers', () => {
    assert.equal(maxApiPods(10), maxApiPods(0) - 10);
    assert.ok(poolerInstances(maxApiPods(4) + 4) <= MAX_POOLER_INSTANCES);
  });

  it('refuses an API size beyond the budget, with the reason in the decision, once', () => {
    const most = maxApiPods(2);
    const spec: PassPlatformSpec = {
      ...DEFAULT_SPEC,
      image: 'passplatform/app:test',
      version: 'test',
      api: { ...DEFAULT_SPEC.api, maxReplicas: most * 3 },
    };
    // Twice the load the budget's pods can serve: 0.4 cores per pod at most would need 2 × most pods.
    const signals = (now: number): PlatformSignals => {
      const rate = most * 2 * 40;
      return {
        observedAt: now,
        api: {
          requestRate: { student_queries: rate },
          p95LatencySeconds: { student_queries: 0.05 },
          cpuCores: rate * 0.01,
          readyPods: most,
        },
      };
    };
    let state: AutoscalerState = initialAutoscalerState({ api: most - 5, 'worker-uploads': 1, 'worker-reports': 1 });
    const decisions = [];
    const T0 = Date.UTC(2026, 2, 3, 9);
    for (let i = 0; i < 6; i++) {
      const now = T0 + i * 15_000;
      const result = autoscale(spec, state, signals(now), now);
      state = result.state;
      assert.ok((result.replicas.api ?? 0) <= most, `api ${result.replicas.api} within the budget's ${most}`);
      decisions.push(...result.decisions.filter((d) => d.component === 'api'));
    }
    assert.equal(state.components.api?.replicas, most);
    const refusals = decisions.filter((d) => d.reason.includes('refused: connection budget'));
    assert.equal(refusals.length, 1, decisions.map((d) => d.reason).join('\n'));
    assert.match(refusals[0]?.reason ?? '', new RegExp(`× ${APP_POOL_SIZE} connections .* max_connections ${POSTGRES_MAX_CONNECTIONS}`));
  });
});
