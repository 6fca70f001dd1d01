/**
 * A price table and platform sizing with round figures, shared by the cost tests so each can
 * hand-compute what a replica-hour costs:
 *   api            500m + 1Gi                 = 0.5 × 0.04 + 1 × 0.005          = 0.025 / h
 *   worker-uploads 1 + 2Gi                    = 0.04 + 0.01                      = 0.05 / h
 *   worker-reports 250m + 512Mi               = 0.01 + 0.0025                    = 0.0125 / h
 *   postgres       instance 0.5 + 10 GiB × 0.073 / 730                           = 0.501 / h
 *   redis shard    2 nodes × 0.1 + 2 × 1 GiB × 0.073 / 730                        = 0.2002 / h
 */
import { DEFAULT_API, type PriceSpec, type ReplicaChange } from '../../platform-api/v1alpha1/index.js';
import { replicaShapes, type SizingSpec } from './prices.js';

export const TEST_PRICES: PriceSpec = {
  currency: 'USD',
  vcpuHour: 0.04,
  gibHour: 0.005,
  postgresInstanceHour: 0.5,
  redisNodeHour: 0.1,
  storageGibMonth: 0.073,
  monthlyBudget: 1000,
};

export const TEST_SIZING: SizingSpec = {
  api: { ...DEFAULT_API, minReplicas: 1, maxReplicas: 10, resources: { cpu: '500m', memory: '1Gi' } },
  workers: {
    uploads: { minReplicas: 1, maxReplicas: 5, concurrency: 4, resources: { cpu: '1', memory: '2Gi' } },
    reports: { minReplicas: 0, maxReplicas: 3, concurrency: 2, resources: { cpu: '250m', memory: '512Mi' } },
  },
  database: {
    mode: 'managed',
    managed: {
      readReplicas: { minReplicas: 1, maxReplicas: 3 },
      storage: '10Gi',
      resources: { cpu: '1', memory: '2Gi' },
      postgresVersion: 16,
    },
  },
  redis: {
    mode: 'managed',
    managed: { shards: { minReplicas: 3, maxReplicas: 6 }, replicasPerShard: 1, resources: { cpu: '250m', memory: '1Gi' }, storage: '1Gi' },
  },
};

export const TEST_SHAPES = replicaShapes(TEST_SIZING);

export const at = (iso: string): number => Date.parse(iso);

/**
 * November 2026 (30 days, 720 h) with changes before, inside and after it:
 *   api:            2 from Oct 31 22:00, 4 from Nov 10 12:30, 2 from Nov 30 23:20, 6 from Dec 1 01:00
 *   worker-uploads: 1 from Oct 1, 3 from Nov 20 06:15, 1 from Nov 20 06:45
 *   postgres-replicas 1, redis-shards 3, from Oct 1; worker-reports never ran.
 */
export const NOVEMBER_HISTORY: ReplicaChange[] = [
  { component: 'worker-uploads', at: at('2026-10-01T00:00:00Z'), replicas: 1 },
  { component: 'postgres-replicas', at: at('2026-10-01T00:00:00Z'), replicas: 1 },
  { component: 'redis-shards', at: at('2026-10-01T00:00:00Z'), replicas: 3 },
  { component: 'api', at: at('2026-10-31T22:00:00Z'), replicas: 2 },
  { component: 'api', at: at('2026-11-10T12:30:00Z'), replicas: 4 },
  { component: 'worker-uploads', at: at('2026-11-20T06:15:00Z'), replicas: 3 },
  { component: 'worker-uploads', at: at('2026-11-20T06:45:00Z'), replicas: 1 },
  { component: 'api', at: at('2026-11-30T23:20:00Z'), replicas: 2 },
  { component: 'api', at: at('2026-12-01T01:00:00Z'), replicas: 6 },
];
