import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  DEFAULT_API,
  DEFAULT_MANAGED_DATABASE,
  DEFAULT_MANAGED_REDIS,
  DEFAULT_SLA,
  DEFAULT_WORKERS,
} from '../../platform-api/v1alpha1/index.js';
import { asReady, platformFixture } from '../fixtures.js';
import type { PlatformKeys } from './keys.js';
import { reconcile, type ReconcileInput } from './reconcile.js';

const NOW = new Date('2025-03-01T10:00:00Z');
let keyCalls = 0;
const fixedKeys = (): PlatformKeys => {
  keyCalls++;
  return {
    JWT_SECRET: 'and0',
    PASS_SIGNING_PRIVATE_KEY: 'cHJpdg==',
    PASS_SIGNING_PUBLIC_KEY: 'cHVi',
    REDIS_PASSWORD: 'cmVkaXM=',
    METRICS_TOKEN: 'bWV0cmljcw==',
  };
};

function run(overrides: Partial<ReconcileInput> = {}) {
  return reconcile({ platform: platformFixture(), observed: { children: [] }, now: NOW, generateKeys: fixedKeys, ...overrides });
}

const byName = (children: KubernetesObject[] | null, kind: string, name: string) =>
  children?.find((c) => c.kind === kind && c.metadata?.name === name) as (KubernetesObject & { spec: Record<string, unknown> }) | undefined;

describe('reconcile', () => {
  it('builds every child of a managed platform, owned by the PassPlatform', () => {
    const { children } = run();
    const kinds = children?.map((c) => `${c.kind}/${c.metadata?.name}`).sort();
    assert.deepEqual(kinds, [
      'Cluster/campus-db',
      'ConfigMap/campus-config',
      'ConfigMap/campus-dashboards',
      'ConfigMap/campus-redis-scripts',
      'Deployment/campus-api',
      'Deployment/campus-worker-reports',
      'Deployment/campus-worker-uploads',
      'Job/campus-redis-cluster-s3r1',
      'PodDisruptionBudget/campus-api',
      'PodMonitor/campus-redis',
      'Pooler/campus-db-pooler-ro',
      'Pooler/campus-db-pooler-rw',
      'PrometheusRule/campus',
      'Secret/campus-keys',
      'Service/campus-api',
      'Service/campus-redis',
      'Service/campus-redis-headless',
      'Service/campus-workers',
      'ServiceMonitor/campus',
      'StatefulSet/campus-redis',
    ]);
    for (const child of children ?? []) {
      assert.equal(child.metadata?.namespace, 'default');
      assert.deepEqual(child.metadata?.ownerReferences?.[0], {
        apiVersion: 'passplatform.io/v1alpha1',
        kind: 'PassPlatform',
        name: 'campus',
        uid: 'uid-campus',
        controller: true,
        blockOwnerDeletion: true,
      });
      assert.equal(child.metadata?.labels?.['app.kubernetes.io/managed-by'], 'pass-operator');
    }
  });

  it('puts PgBouncer Poolers in transaction mode in front of the database, and points the app pods at them', () => {
    const { children } = run();
    const config = byName(children, 'ConfigMap', 'campus-config') as unknown as { data: Record<string, string> };
    assert.equal(config.data.DATABASE_REPLICA_URLS, 'postgresql://campus-db-pooler-ro.default.svc:5432/app');
    for (const type of ['rw', 'ro']) {
      const pooler = byName(children, 'Pooler', `campus-db-pooler-${type}`);
      assert.equal(pooler?.spec.type, type);
      assert.deepEqual(pooler?.spec.cluster, { name: 'campus-db' });
      assert.equal((pooler?.spec.pgbouncer as { poolMode: string }).poolMode, 'transaction');
      assert.ok(Number(pooler?.spec.instances) >= 2);
    }
    for (const deployment of ['campus-api', 'campus-worker-uploads']) {
      const pod = byName(children, 'Deployment', deployment) as unknown as {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      };
      const env = pod.spec.template.spec.containers[0]?.env ?? [];
      assert.equal(env.find((e) => e.name === 'DATABASE_URL')?.value, 'postgresql://campus-db-pooler-rw:5432/app');
    }
  });

  it('archives WAL within the archive timeout and schedules base backups when backup is set', () => {
    const platform = platformFixture();
    platform.spec.database.managed = {
      ...DEFAULT_MANAGED_DATABASE,
      backup: {
        destinationPath: 's3://backups/campus',
        credentialsSecretName: 'campus-s3',
        retentionPolicy: '30d',
        schedule: '0 0 2 * * *',
        archiveTimeoutSeconds: 300,
      },
    };
    const { children } = run({ platform });
    const cluster = byName(children, 'Cluster', 'campus-db');
    const spec = cluster?.spec as {
      postgresql: { parameters: Record<string, string> };
      backup: { retentionPolicy: string; barmanObjectStore: { destinationPath: string; s3Credentials: unknown } };
    };
    assert.equal(spec.postgresql.parameters.archive_timeout, '300s');
    assert.equal(spec.backup.retentionPolicy, '30d');
    assert.equal(spec.backup.barmanObjectStore.destinationPath, 's3://backups/campus');
    assert.deepEqual(spec.backup.barmanObjectStore.s3Credentials, {
      accessKeyId: { name: 'campus-s3', key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: 'campus-s3', key: 'ACCESS_SECRET_KEY' },
    });
    const scheduled = byName(children, 'ScheduledBackup', 'campus-db-base');
    assert.deepEqual(scheduled?.spec, {
      schedule: '0 0 2 * * *',
      cluster: { name: 'campus-db' },
      backupOwnerReference: 'self',
      immediate: true,
    });
    assert.equal(byName(run().children, 'ScheduledBackup', 'campus-db-base'), undefined, 'no backups unless configured');
  });

  it('starts at the spec minimums and sizes Postgres and Redis from them', () => {
    const { children, status } = run();
    assert.equal(byName(children, 'Deployment', 'campus-api')?.spec.replicas, DEFAULT_API.minReplicas);
    assert.equal(byName(children, 'Cluster', 'campus-db')?.spec.instances, 1 + DEFAULT_MANAGED_DATABASE.readReplicas.minReplicas);
    const perShard = 1 + DEFAULT_MANAGED_REDIS.replicasPerShard;
    assert.equal(byName(children, 'StatefulSet', 'campus-redis')?.spec.replicas, DEFAULT_MANAGED_REDIS.shards.minReplicas * perShard);
    assert.equal(status.replicas?.api, DEFAULT_API.minReplicas);
  });

  it('is Progressing until every child reports ready, then Ready', () => {
    const first = run();
    assert.equal(first.status.phase, 'Progressing');
    const progressing = first.status.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.status, 'True');
    assert.match(progressing?.message ?? '', /not created yet/);
    assert.ok(first.events.some((e) => e.reason === 'Creating' && e.message === 'creating Deployment/campus-api'));

    const platform = { ...platformFixture(), status: first.status };
    const later = new Date(NOW.getTime() + 60_000);
    const second = reconcile({ platform, observed: { children: asReady(first.children ?? []) }, now: later, generateKeys: fixedKeys });
    assert.equal(second.status.phase, 'Ready');
    const ready = second.status.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(ready?.lastTransitionTime, later.toISOString());
    assert.equal(ready?.observedGeneration, 1);
    const degraded = second.status.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.lastTransitionTime, NOW.toISOString(), 'unchanged conditions keep their transition time');
    assert.deepEqual(
      second.events.map((e) => e.reason),
      ['Ready'],
    );
  });

  it('reports a stalled rollout as Degraded', () => {
    const first = run();
    const observed = asReady(first.children ?? []).map((c) =>
      c.metadata?.name === 'campus-api' && c.kind === 'Deployment'
        ? {
            ...c,
            status: {
              conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'image pull failed' }],
            },
          }
        : c,
    );
    const { status, events } = run({ observed: { children: observed } });
    assert.equal(status.phase, 'Degraded');
    assert.match(status.conditions?.find((c) => c.type === 'Degraded')?.message ?? '', /Deployment\/campus-api \(image pull failed\)/);
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'Degraded'));
  });

  it('takes replicas from the autoscaler, clamped to the spec range', () => {
    const { children, status, events } = run({
      scaling: {
        replicas: { api: 500, 'worker-uploads': 0, 'postgres-replicas': 2 },
        decisions: [{ component: 'api', from: 2, to: 20, reason: 'p95 over target', signals: { p95: 0.4 }, time: NOW.toISOString() }],
      },
    });
    assert.equal(byName(children, 'Deployment', 'campus-api')?.spec.replicas, DEFAULT_API.maxReplicas);
    assert.equal(byName(children, 'Deployment', 'campus-worker-uploads')?.spec.replicas, 1);
    assert.equal(byName(children, 'Cluster', 'campus-db')?.spec.instances, 3);
    assert.equal(status.decisions?.length, 1);
    assert.ok(events.some((e) => e.reason === 'Scaled' && e.message.startsWith('api 2 → 20')));
  });

  it('keeps observed replicas when the autoscaler has no value, and uses minimums when autoscaling is off', () => {
    const first = run({ scaling: { replicas: { api: 7 }, decisions: [] } });
    const observed = first.children ?? [];
    assert.equal(byName(run({ observed: { children: observed } }).children, 'Deployment', 'campus-api')?.spec.replicas, 7);
    const off = platformFixture({ autoscaling: { enabled: false } });
    const res = reconcile({
      platform: off,
      observed: { children: observed },
      scaling: { replicas: { api: 9 }, decisions: [] },
      now: NOW,
      generateKeys: fixedKeys,
    });
    assert.equal(byName(res.children, 'Deployment', 'campus-api')?.spec.replicas, DEFAULT_API.minReplicas);
  });

  it('keeps generated keys once they exist and never puts them in events or status', () => {
    keyCalls = 0;
    const first = run();
    assert.equal(keyCalls, 1);
    const secret = byName(first.children, 'Secret', 'campus-keys') as unknown as KubernetesObject & { data: Record<string, string> };
    const existing = { ...secret, data: { ...secret.data, JWT_SECRET: 'a2VwdA==' } };
    const second = run({ observed: { children: [existing] } });
    assert.equal(keyCalls, 1, 'no new keys when all exist');
    assert.equal(
      (byName(second.children, 'Secret', 'campus-keys') as unknown as { data: Record<string, string> }).data.JWT_SECRET,
      'a2VwdA==',
    );
    const visible = JSON.stringify([first.events, first.status, second.events, second.status]);
    for (const value of Object.values(secret.data)) assert.ok(!visible.includes(value));
  });

  it('shrinks the Redis StatefulSet only after the drain Job for the new layout succeeded', () => {
    const grown = run({ scaling: { replicas: { 'redis-shards': 5 }, decisions: [] } }).children ?? [];
    assert.equal(byName(grown, 'StatefulSet', 'campus-redis')?.spec.replicas, 10);
    const shrinking = run({ observed: { children: grown }, scaling: { replicas: { 'redis-shards': 3 }, decisions: [] } }).children ?? [];
    assert.equal(byName(shrinking, 'StatefulSet', 'campus-redis')?.spec.replicas, 10, 'nodes stay while slots move');
    const job = byName(shrinking, 'Job', 'campus-redis-cluster-s3r1');
    assert.ok(job);
    const drained = [...grown.filter((c) => c.kind !== 'Job'), { ...job, status: { succeeded: 1 } }];
    const done = run({ observed: { children: drained }, scaling: { replicas: { 'redis-shards': 3 }, decisions: [] } }).children ?? [];
    assert.equal(byName(done, 'StatefulSet', 'campus-redis')?.spec.replicas, 6);
  });

  it('runs no data stores for external database and Redis', () => {
    const platform = platformFixture({
      database: { mode: 'external', external: { primarySecretName: 'pg', replicasSecretName: 'pg-ro' } },
      redis: { mode: 'external', external: { secretName: 'redis' } },
    });
    const { children, status } = run({ platform });
    assert.ok(!children?.some((c) => ['Cluster', 'StatefulSet', 'Job'].includes(c.kind ?? '')));
    assert.equal(status.replicas?.['postgres-replicas'], 0);
    const api = byName(children, 'Deployment', 'campus-api') as unknown as {
      spec: { template: { spec: { containers: { env: { name: string; valueFrom?: { secretKeyRef: { name: string } } }[] }[] } } };
    };
    const env = api.spec.template.spec.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef.name, 'pg');
  });

  it('leaves children alone and reports the schema message when the spec is invalid', () => {
    const platform = platformFixture();
    platform.spec.api = { ...platform.spec.api, minReplicas: 9, maxReplicas: 3 };
    const { children, status, events } = run({ platform });
    assert.equal(children, null);
    assert.equal(status.phase, 'Degraded');
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.reason, 'InvalidSpec');
    assert.equal(degraded?.message, 'spec.api: Invalid value: "object": minReplicas must be less than or equal to maxReplicas');
    assert.equal(events[0]?.reason, 'InvalidSpec');
  });

  it('applies SLA state and reports Deleting without children once deletion started', () => {
    const platform = platformFixture({ sla: { ...DEFAULT_SLA, auth: 0.1 } });
    platform.metadata.deletionTimestamp = NOW.toISOString();
    const { children, status } = run({ platform, slaViolations: ['auth'] });
    assert.equal(children, null);
    assert.equal(status.phase, 'Deleting');
    assert.equal(status.slaState, 'Violated: auth');
  });

  it('rolls pods when settings change by hashing them into the pod template', () => {
    const hash = (spec: Record<string, unknown>) =>
      (
        byName(run({ platform: platformFixture(spec) }).children, 'Deployment', 'campus-api') as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations['passplatform.io/settings-hash'];
    assert.equal(hash({}), hash({}));
    assert.notEqual(hash({}), hash({ workers: { ...DEFAULT_WORKERS, uploads: { ...DEFAULT_WORKERS.uploads, concurrency: 9 } } }));
    // The SLA targets reach the alert rules, not the processes: changing them restarts no pod.
    assert.equal(hash({}), hash({ sla: { ...DEFAULT_SLA, auth: 0.15 } }));
  });
});
