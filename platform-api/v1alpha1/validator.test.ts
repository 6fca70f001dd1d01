import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passPlatformOpenApiSchema } from './schema.js';
import { compileStructuralSchema, formatInvalid } from './validator.js';
import { DEFAULT_ALERTS, DEFAULT_API, DEFAULT_SLA } from './types.js';

const admit = compileStructuralSchema(passPlatformOpenApiSchema);
const manifest = (spec: Record<string, unknown>) => ({
  apiVersion: 'passplatform.io/v1alpha1',
  kind: 'PassPlatform',
  metadata: { name: 'p' },
  spec: { image: 'i', version: '1', ...spec },
});

describe('PassPlatform schema', () => {
  it('fills every default from the spec defaults and the SLA catalog, and prunes unknown fields', () => {
    const object = manifest({ surprise: true }) as { spec: Record<string, unknown> };
    assert.deepEqual(admit(object), []);
    assert.equal(object.spec.surprise, undefined);
    assert.deepEqual(object.spec.sla, DEFAULT_SLA);
    assert.deepEqual(object.spec.alerts, DEFAULT_ALERTS);
    assert.deepEqual(object.spec.api, DEFAULT_API);
  });

  const rejects: [string, Record<string, unknown>, string][] = [
    [
      'min above max',
      { api: { minReplicas: 5, maxReplicas: 2 } },
      'spec.api: Invalid value: "object": minReplicas must be less than or equal to maxReplicas',
    ],
    [
      'negative count',
      { workers: { uploads: { minReplicas: -1 } } },
      'spec.workers.uploads.minReplicas: Invalid value: -1: spec.workers.uploads.minReplicas in body should be greater than or equal to 0',
    ],
    ['unknown mode', { redis: { mode: 'cloud' } }, 'spec.redis.mode: Unsupported value: "cloud": supported values: "managed", "external"'],
    [
      'malformed quantity',
      { api: { resources: { memory: '1 GB' } } },
      'spec.api.resources.memory: Invalid value: "1 GB": spec.api.resources.memory in body should match',
    ],
    [
      'external without its secret',
      { database: { mode: 'external' } },
      'spec.database: Invalid value: "object": database.external is required when database.mode is external',
    ],
    [
      'warning above critical',
      { alerts: { warningErrorRatio: 0.2 } },
      'spec.alerts: Invalid value: "object": warningErrorRatio must not exceed criticalErrorRatio',
    ],
    ['missing image', { image: undefined }, 'spec.image: Required value'],
    [
      'a WAL archive timeout past the RPO',
      { database: { managed: { backup: { destinationPath: 's3://b/c', credentialsSecretName: 's3', archiveTimeoutSeconds: 3600 } } } },
      'spec.database.managed.backup: Invalid value: "object": archiveTimeoutSeconds must not exceed the SLA\'s recovery point objective (RPO) of 900 seconds',
    ],
    [
      'object storage on AWS S3 without a region',
      { objectStorage: { bucket: 'campus-uploads' } },
      'spec.objectStorage: Invalid value: "object": objectStorage needs a region when it has no endpoint: AWS S3 is reached by region',
    ],
    [
      'a bucket name S3 does not allow',
      { objectStorage: { bucket: 'Campus_Uploads', region: 'eu-west-1' } },
      'spec.objectStorage.bucket: Invalid value: "Campus_Uploads": spec.objectStorage.bucket in body should match',
    ],
  ];
  for (const [what, spec, message] of rejects) {
    it(`rejects ${what} with a clear message`, () => {
      const errors = admit(JSON.parse(JSON.stringify(manifest(spec))));
      const text = formatInvalid('PassPlatform.passplatform.io', 'p', errors);
      assert.ok(text.includes(message), text);
    });
  }
});
