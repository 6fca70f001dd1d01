/**
 * The TypeScript types and the CRD schema are kept by hand side by side. This test holds them
 * together: a PassPlatform with every field the types have (the `Complete` type makes the compiler
 * refuse the fixture when a field is added to the types and not here) passes our validator with
 * nothing pruned, and comes back from a real kube-apiserver, through server-side apply and the
 * status subresource, exactly as it was sent. A field the schema lacks would be pruned (or refused
 * under strict field validation) and the deep-equal would fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import {
  API_GROUP,
  API_VERSION,
  compileStructuralSchema,
  COMPONENTS,
  KIND,
  passPlatformOpenApiSchema,
  PLURAL,
  type PassPlatformSpec,
  type PassPlatformStatus,
  type SlaSpec,
} from './index.js';

/** T with every optional field required, all the way down (arrays and records included). */
type Complete<T> = T extends (infer Item)[] ? Complete<Item>[] : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T;

const completeSpec: Complete<PassPlatformSpec> = {
  image: 'registry.example.edu/passplatform',
  version: '2.4.1',
  api: {
    minReplicas: 3,
    maxReplicas: 12,
    resources: { cpu: '750m', memory: '768Mi' },
    rateLimits: { requestsPerMinute: 6_000, refreshesPerMinute: 60, loginFailuresPerAccount: 8, loginFailuresPerAddress: 500 },
  },
  workers: {
    uploads: { minReplicas: 2, maxReplicas: 8, concurrency: 4, resources: { cpu: '600m', memory: '640Mi' } },
    reports: { minReplicas: 1, maxReplicas: 3, concurrency: 1, resources: { cpu: '2', memory: '3Gi' } },
  },
  // Both the managed and the external branches are filled: the schema must keep each of them.
  database: {
    mode: 'managed',
    managed: {
      readReplicas: { minReplicas: 2, maxReplicas: 4 },
      storage: '50Gi',
      resources: { cpu: '2', memory: '4Gi' },
      postgresVersion: 17,
      backup: {
        destinationPath: 's3://backups/campus',
        credentialsSecretName: 'backup-credentials',
        endpointURL: 'https://minio.example.edu',
        retentionPolicy: '14d',
        schedule: '0 30 1 * * *',
        archiveTimeoutSeconds: 120,
      },
    },
    external: { primarySecretName: 'pg-primary', replicasSecretName: 'pg-replicas' },
  },
  redis: {
    mode: 'managed',
    managed: {
      shards: { minReplicas: 3, maxReplicas: 9 },
      replicasPerShard: 2,
      resources: { cpu: '300m', memory: '1Gi' },
      storage: '4Gi',
      opsPerShard: 120_000,
    },
    external: { secretName: 'redis-url' },
  },
  sla: Object.fromEntries(SLA_CLASS_NAMES.map((name, i) => [name, 0.25 + i / 10])) as SlaSpec,
  alerts: {
    criticalLatencyP95Seconds: 4,
    warningLatencyP95Seconds: 1.5,
    criticalErrorRatio: 0.04,
    warningErrorRatio: 0.02,
    criticalDbConnectionsRatio: 0.85,
    warningDbConnectionsRatio: 0.75,
    criticalMemoryRatio: 0.88,
    warningMemoryRatio: 0.78,
    warningCpuRatio: 0.8,
    criticalDiskFreeRatio: 0.12,
    latencyIncreaseRatio: 0.4,
    throughputDecreaseRatio: 0.25,
    cacheHitRatioMin: 0.9,
  },
  autoscaling: {
    enabled: false,
    prometheusUrl: 'http://prometheus.monitoring.svc:9090',
    intervalSeconds: 30,
    scaleDownStabilizationSeconds: 600,
    targetUtilization: 0.65,
    predictive: false,
  },
  cost: {
    currency: 'EUR',
    vcpuHour: 0.031,
    gibHour: 0.004,
    postgresInstanceHour: 0.5,
    redisNodeHour: 0.09,
    storageGibMonth: 0.12,
    monthlyBudget: 2500,
    sharedCosts: [
      { name: 'load-balancer', monthly: 38.5 },
      { name: 'waf', monthly: 20 },
    ],
  },
  monitoring: { runbookBaseUrl: 'https://runbooks.example.edu/passplatform', ruleLabels: { release: 'kube-prometheus', team: 'campus' } },
  objectStorage: {
    bucket: 'campus-uploads',
    endpoint: 'http://seaweedfs-s3.storage.svc:8333',
    region: 'eu-west-1',
    forcePathStyle: true,
    credentialsSecretName: 'campus-objects',
  },
};

const completeStatus: Complete<PassPlatformStatus> = {
  phase: 'Ready',
  observedGeneration: 1,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'AllChildrenReady',
      message: 'every child is ready',
      lastTransitionTime: '2026-12-03T22:00:00Z',
      observedGeneration: 1,
    },
  ],
  replicas: Object.fromEntries(COMPONENTS.map((component, i) => [component, i + 1])) as Complete<PassPlatformStatus>['replicas'],
  slaState: 'Met',
  decisions: [
    {
      component: 'api',
      from: 3,
      to: 5,
      reason: 'p95 latency of student queries above target',
      signals: { p95Seconds: 0.42, requestRate: 812.5 },
      time: '2026-12-03T22:01:00Z',
    },
  ],
};

const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
let cluster: TestControlPlane;
let namespace: string;

before(async () => {
  cluster = await startTestControlPlane();
  namespace = await cluster.namespace('round-trip');
});
after(async () => {
  await cluster.stop();
});

describe('a fully populated PassPlatform', () => {
  it('passes our validator with nothing defaulted over and nothing pruned', () => {
    const object = structuredClone({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: KIND,
      metadata: { name: 'p' },
      spec: completeSpec,
      status: completeStatus,
    });
    assert.deepEqual(compileStructuralSchema(passPlatformOpenApiSchema)(object), []);
    assert.deepEqual(object.spec, completeSpec);
    assert.deepEqual(object.status, completeStatus);
  });

  it(
    'comes back from a real kube-apiserver exactly as sent (server-side apply, strict field validation, status subresource)',
    { timeout: 120_000 },
    async () => {
      const name = 'complete';
      await cluster.custom.patchNamespacedCustomObject(
        {
          group: API_GROUP,
          version: API_VERSION,
          namespace,
          plural: PLURAL,
          name,
          body: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, metadata: { name, namespace }, spec: completeSpec },
          fieldManager: 'round-trip-test',
          fieldValidation: 'Strict',
          force: true,
        },
        APPLY,
      );
      await cluster.custom.patchNamespacedCustomObjectStatus(
        {
          group: API_GROUP,
          version: API_VERSION,
          namespace,
          plural: PLURAL,
          name,
          body: { status: completeStatus },
          fieldValidation: 'Strict',
        },
        MERGE,
      );
      const stored = (await cluster.custom.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as {
        spec: unknown;
        status: unknown;
      };
      assert.deepEqual(stored.spec, completeSpec);
      assert.deepEqual(stored.status, completeStatus);
    },
  );
});
