import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale } from './autoscaler.js';
import { CONNECTION_TARGET_RATIO, podsForConnections } from './connections.js';
import type { PlatformSignals } from './types.js';

const spec: PassPlatformSpec = {
  ...DEFAULT_SPEC,
  image: 'passplatform/app:test',
  version: 'test',
  api: { ...DEFAULT_SPEC.api, minReplicas: 2, maxReplicas: 40 },
};
const T0 = Date.UTC(2025, 2, 3, 9, 0);

/** Light request load (a pod or two's worth) with `connections` sockets open. */
function signals(connections: number | undefined): PlatformSignals {
  return {
    observedAt: T0,
    api: {
      requestRate: { student_queries: 50 },
      p95LatencySeconds: { student_queries: 0.05 },
      cpuCores: 0.5,
      readyPods: 2,
      ...(connections === undefined ? {} : { realtimeConnections: connections, realtimeMaxConnectionsPerPod: 10_000 }),
    },
  };
}

describe('sizing API pods for real-time connections', () => {
  it('needs enough pods to hold the sockets below the target share of each pod’s limit', () => {
    assert.deepEqual(podsForConnections({ realtimeConnections: 0, realtimeMaxConnectionsPerPod: 10_000 })?.pods, 0);
    assert.equal(podsForConnections({ realtimeConnections: 7_000, realtimeMaxConnectionsPerPod: 10_000 })?.pods, 1);
    assert.equal(podsForConnections({ realtimeConnections: 7_001, realtimeMaxConnectionsPerPod: 10_000 })?.pods, 2);
    assert.equal(
      podsForConnections({ realtimeConnections: 100_000, realtimeMaxConnectionsPerPod: 10_000 })?.pods,
      Math.ceil(10 / CONNECTION_TARGET_RATIO),
    );
    assert.equal(podsForConnections({ realtimeConnections: 5 }), undefined, 'no limit exported: no opinion');
  });

  it('scales the API for open sockets when requests alone would not, and says so', () => {
    const settle = (connections: number | undefined) => {
      let result = autoscale(spec, undefined, signals(connections), T0);
      const reasons = [...result.decisions];
      // Scale-up is stepped: a few intervals reach the size the sockets need.
      for (let i = 1; i < 10; i++) {
        result = autoscale(spec, result.state, { ...signals(connections), observedAt: T0 + i * 60_000 }, T0 + i * 60_000);
        reasons.push(...result.decisions);
      }
      return { ...result, reasons };
    };
    const quiet = settle(undefined);
    const crowded = settle(140_000);
    assert.ok((quiet.replicas.api ?? 0) < 20);
    assert.equal(crowded.replicas.api, 20, '140,000 sockets at 70 % of 10,000 per pod');
    assert.match(JSON.stringify(crowded.reasons), /140000 real-time connections/);
  });
});
