/**
 * The PassPlatform CRD as a platform team meets it, on a real kube-apiserver through kubectl:
 * every field documented (what `kubectl explain` prints), each validation rule refusing what it
 * should with its message (and letting the neighbouring valid change through), transition rules
 * refusing changes a running platform cannot take, unknown fields refused under strict field
 * validation, the scale subresource and the printer columns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_GROUP, API_VERSION, KIND, passPlatformOpenApiSchema } from '../platform-api/v1alpha1/index.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/control-plane/for-tests.js';
import { kubectl, kubectlOk } from '../testing/control-plane/kubectl.js';

let cluster: TestControlPlane;
let namespace: string;
let kubeconfig: string;

before(async () => {
  cluster = await startTestControlPlane();
  namespace = await cluster.namespace('crd');
  kubeconfig = cluster.plane.kubeconfigPath;
});
after(async () => {
  await cluster.stop();
});

type Spec = Record<string, unknown>;
const BASE_SPEC: Spec = { image: 'registry.example.edu/passplatform', version: '1.0.0' };

const manifest = (name: string, spec: Spec) =>
  JSON.stringify({ apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, metadata: { name, namespace }, spec: { ...BASE_SPEC, ...spec } });

/** `kubectl apply --server-side` of a PassPlatform, as a platform team applies one. */
const apply = (name: string, spec: Spec, extra: string[] = []) =>
  kubectl(kubeconfig, ['apply', '--server-side', '--field-manager=platform-team', ...extra, '-f', '-'], { input: manifest(name, spec) });

async function stored(name: string): Promise<Spec> {
  return JSON.parse(await kubectlOk(kubeconfig, ['get', 'passplatform', name, '-n', namespace, '-o', 'json'])) as Spec;
}

async function assertRefused(result: Awaited<ReturnType<typeof apply>>, field: string, message: string) {
  assert.notEqual(result.code, 0, `kubectl accepted it: ${result.stdout}`);
  assert.match(result.stderr, /is invalid/);
  assert.ok(result.stderr.includes(field) && result.stderr.includes(message), `expected "${field}" and "${message}" in:\n${result.stderr}`);
}

/** Paths of properties (down every object and array) that carry no description. */
function undocumented(schema: Record<string, unknown>, path: string, skip: (path: string) => boolean): string[] {
  const missing: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, child] of Object.entries(properties)) {
    const childPath = path ? `${path}.${key}` : key;
    if (skip(childPath)) continue;
    if (typeof child.description !== 'string' || child.description.trim() === '') missing.push(childPath);
    missing.push(...undocumented(child, childPath, skip));
    const items = child.items as Record<string, unknown> | undefined;
    if (items) missing.push(...undocumented(items, `${childPath}[]`, skip));
  }
  return missing;
}

describe('the PassPlatform CRD on a real kube-apiserver', () => {
  it('documents every field, in the schema we ship and in the OpenAPI kubectl explain reads', async () => {
    // metadata is ObjectMeta: kube-apiserver forbids describing it in a CRD and documents it itself.
    assert.deepEqual(
      undocumented(passPlatformOpenApiSchema as Record<string, unknown>, '', (p) => p === 'metadata'),
      [],
    );
    const openapi = JSON.parse(await kubectlOk(kubeconfig, ['get', '--raw', `/openapi/v3/apis/${API_GROUP}/${API_VERSION}`])) as {
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const published = openapi.components.schemas[`io.passplatform.${API_VERSION}.${KIND}`];
    assert.ok(published, 'the PassPlatform schema is published');
    assert.deepEqual(
      undocumented(published, '', (p) => p === 'metadata'),
      [],
    );
    const explained = await kubectlOk(kubeconfig, ['explain', 'passplatform.spec.database.managed.backup']);
    assert.match(explained, /archiveTimeoutSeconds\s+<integer>\s+Longest wait before a WAL segment is archived/);
    const recursive = await kubectlOk(kubeconfig, ['explain', 'passplatform.spec', '--recursive']);
    for (const field of ['replicasPerShard', 'archiveTimeoutSeconds', 'runbookBaseUrl', 'targetUtilization'])
      assert.match(recursive, new RegExp(`\\b${field}\\b`));
  });

  const minAboveMax: [string, Spec][] = [
    ['spec.api', { api: { minReplicas: 6, maxReplicas: 4 } }],
    ['spec.workers.uploads', { workers: { uploads: { minReplicas: 6, maxReplicas: 4 } } }],
    ['spec.workers.reports', { workers: { reports: { minReplicas: 6, maxReplicas: 4 } } }],
    ['spec.database.managed.readReplicas', { database: { managed: { readReplicas: { minReplicas: 6, maxReplicas: 4 } } } }],
    ['spec.redis.managed.shards', { redis: { managed: { shards: { minReplicas: 6, maxReplicas: 4 } } } }],
  ];
  for (const [field, spec] of minAboveMax) {
    it(`refuses minReplicas above maxReplicas for ${field}, and accepts min = max`, { timeout: 120_000 }, async () => {
      await assertRefused(await apply('min-max', spec), field, 'minReplicas must be less than or equal to maxReplicas');
      const equal = JSON.parse(JSON.stringify(spec).replace('"minReplicas":6', '"minReplicas":4')) as Spec;
      const accepted = await apply('min-max', equal);
      assert.equal(accepted.code, 0, accepted.stderr);
      await kubectlOk(kubeconfig, ['delete', 'passplatform', 'min-max', '-n', namespace]);
    });
  }

  it('refuses a WAL archive timeout past the RPO, and accepts one at it', { timeout: 120_000 }, async () => {
    const backup = (archiveTimeoutSeconds: number) => ({
      database: { managed: { backup: { destinationPath: 's3://backups/campus', credentialsSecretName: 'backup', archiveTimeoutSeconds } } },
    });
    await assertRefused(
      await apply('rpo', backup(901)),
      'spec.database.managed.backup',
      "archiveTimeoutSeconds must not exceed the SLA's recovery point objective (RPO) of 900 seconds",
    );
    const atRpo = await apply('rpo', backup(900));
    assert.equal(atRpo.code, 0, atRpo.stderr);
  });

  it('refuses object storage on AWS S3 without a region, and accepts it with one or with an endpoint', { timeout: 120_000 }, async () => {
    const objectStorage = (fields: Record<string, unknown>) => ({
      objectStorage: { bucket: 'campus-uploads', credentialsSecretName: 'campus-objects', ...fields },
    });
    await assertRefused(
      await apply('objects', objectStorage({})),
      'spec.objectStorage',
      'objectStorage needs a region when it has no endpoint: AWS S3 is reached by region',
    );
    for (const fields of [{ region: 'eu-west-1' }, { endpoint: 'http://seaweedfs-s3.storage.svc:8333', forcePathStyle: true }]) {
      const accepted = await apply('objects', objectStorage(fields));
      assert.equal(accepted.code, 0, accepted.stderr);
    }
  });

  const warnings: [string, string, number][] = [
    ['warningLatencyP95Seconds', 'criticalLatencyP95Seconds', 6],
    ['warningErrorRatio', 'criticalErrorRatio', 0.5],
    ['warningDbConnectionsRatio', 'criticalDbConnectionsRatio', 0.95],
    ['warningMemoryRatio', 'criticalMemoryRatio', 0.95],
  ];
  for (const [warning, critical, value] of warnings) {
    it(`refuses ${warning} above ${critical}`, { timeout: 120_000 }, async () => {
      await assertRefused(await apply('alerts', { alerts: { [warning]: value } }), 'spec.alerts', `${warning} must not exceed ${critical}`);
    });
  }

  it('refuses an external data store without its secret', { timeout: 120_000 }, async () => {
    await assertRefused(
      await apply('external', { redis: { mode: 'external' } }),
      'spec.redis',
      'redis.external is required when redis.mode is external',
    );
    await assertRefused(
      await apply('external', { database: { mode: 'external' } }),
      'spec.database',
      'database.external is required when database.mode is external',
    );
  });

  it('refuses, on a running platform, the changes it cannot carry out, and lets the live ones through', { timeout: 180_000 }, async () => {
    const created = await apply('running', {});
    assert.equal(created.code, 0, created.stderr);
    const before = await stored('running');
    const refusals: [Spec, string, string][] = [
      [
        { redis: { managed: { replicasPerShard: 2 } } },
        'spec.redis.managed',
        'replicasPerShard cannot be changed on a running Redis Cluster',
      ],
      [{ redis: { managed: { storage: '8Gi' } } }, 'spec.redis.managed', 'storage cannot be changed on a running Redis Cluster'],
      [
        { redis: { mode: 'external', external: { secretName: 'redis' } } },
        'spec.redis',
        'redis.mode cannot be changed on a running platform',
      ],
      [
        { database: { mode: 'external', external: { primarySecretName: 'pg' } } },
        'spec.database',
        'database.mode cannot be changed on a running platform',
      ],
      [{ database: { managed: { postgresVersion: 15 } } }, 'spec.database.managed', 'postgresVersion cannot be lowered'],
    ];
    for (const [change, field, message] of refusals) await assertRefused(await apply('running', change), field, message);
    assert.deepEqual((await stored('running')).spec, before.spec, 'a refused change left the stored spec as it was');
    // What can be done live is accepted: more shards, a Postgres major upgrade.
    const live = await apply('running', {
      redis: { managed: { shards: { maxReplicas: 9 } } },
      database: { managed: { postgresVersion: 17 } },
    });
    assert.equal(live.code, 0, live.stderr);
  });

  it('refuses an unknown field under strict field validation instead of dropping it', { timeout: 120_000 }, async () => {
    const typo = { api: { minReplicas: 2, minReplica: 3 } };
    const created = await kubectl(kubeconfig, ['create', '--validate=strict', '-f', '-'], { input: manifest('unknown', typo) });
    assert.notEqual(created.code, 0);
    assert.match(created.stderr, /unknown field "spec\.api\.minReplica"/);
    // Server-side apply refuses fields its schema does not declare whatever the validation level.
    const applied = await apply('unknown', typo, ['--validate=strict']);
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /\.spec\.api\.minReplica: field not declared in schema/);
    const found = await kubectl(kubeconfig, ['get', 'passplatform', 'unknown', '-n', namespace]);
    assert.match(found.stderr, /NotFound/, 'nothing was created');
  });

  it('scales the API floor through the scale subresource, within the range', { timeout: 120_000 }, async () => {
    assert.equal((await apply('scaled', { api: { minReplicas: 2, maxReplicas: 8 } })).code, 0);
    await kubectlOk(kubeconfig, ['scale', 'passplatform', 'scaled', '-n', namespace, '--replicas=5']);
    const spec = (await stored('scaled')).spec as { api: { minReplicas: number; maxReplicas: number } };
    assert.deepEqual([spec.api.minReplicas, spec.api.maxReplicas], [5, 8]);
    const beyond = await kubectl(kubeconfig, ['scale', 'passplatform', 'scaled', '-n', namespace, '--replicas=9']);
    assert.notEqual(beyond.code, 0);
    assert.match(beyond.stderr, /minReplicas must be less than or equal to maxReplicas/);
  });

  it('prints version, phase, readiness, API replicas and SLA state in kubectl get', { timeout: 120_000 }, async () => {
    assert.equal((await apply('printed', { version: '2.4.1' })).code, 0);
    const status = {
      status: {
        phase: 'Ready',
        replicas: { api: 3 },
        slaState: 'Met',
        conditions: [
          { type: 'Ready', status: 'True', reason: 'AllChildrenReady', message: 'ready', lastTransitionTime: '2026-12-03T22:00:00Z' },
        ],
      },
    };
    await kubectlOk(kubeconfig, [
      'patch',
      'passplatform',
      'printed',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    const table = await kubectlOk(kubeconfig, ['get', 'passplatform', 'printed', '-n', namespace]);
    const [header, row] = table
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    assert.deepEqual(header, ['NAME', 'VERSION', 'PHASE', 'READY', 'API', 'SLA', 'AGE']);
    assert.deepEqual(row?.slice(0, 6), ['printed', '2.4.1', 'Ready', 'True', '3', 'Met']);
  });
});
