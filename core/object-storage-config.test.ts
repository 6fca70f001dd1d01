/** Which object storage a process builds from its environment, and the errors that name what is wrong. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';
import { FileSystemStorage } from './object-storage.js';
import { createObjectStorage, describeObjectStorage } from './object-storage-config.js';
import { S3ObjectStorage } from './object-storage-s3.js';

const BASE = { DATABASE_URL: 'postgres://127.0.0.1:5432/pp', JWT_SECRET: 'x'.repeat(40) };
const S3 = {
  ...BASE,
  OBJECT_STORAGE: 's3',
  S3_ENDPOINT: 'http://seaweedfs.storage.svc:8333',
  S3_BUCKET: 'passplatform-uploads',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'the-secret-value-never-printed',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

describe('object storage configuration', () => {
  it('is the filesystem under STORAGE_DIR by default (npm start)', () => {
    const config = loadConfig({ ...BASE, STORAGE_DIR: '/tmp/pp-objects' });
    assert.ok(createObjectStorage(config) instanceof FileSystemStorage);
    assert.equal(describeObjectStorage(config), 'filesystem /tmp/pp-objects');
  });

  it('is the S3 bucket with OBJECT_STORAGE=s3, and its description carries no credential', () => {
    const config = loadConfig(S3);
    const storage = createObjectStorage(config);
    assert.ok(storage instanceof S3ObjectStorage);
    assert.equal(storage.bucket, 'passplatform-uploads');
    storage.close();
    const description = describeObjectStorage(config);
    assert.equal(description, 's3 bucket passplatform-uploads at http://seaweedfs.storage.svc:8333');
    assert.ok(!description.includes('AKIDEXAMPLE') && !description.includes('the-secret-value'));
  });

  it('refuses an incomplete S3 configuration, naming each variable and never printing the secret', () => {
    const { S3_BUCKET: _bucket, ...noBucket } = S3;
    assert.match(configError(noBucket), /S3_BUCKET: required when OBJECT_STORAGE=s3/);
    const { AWS_ACCESS_KEY_ID: _id, ...secretOnly } = S3;
    const message = configError(secretOnly);
    assert.match(message, /AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set together/);
    assert.ok(!message.includes('the-secret-value'));
    const { S3_ENDPOINT: _endpoint, ...awsWithoutRegion } = S3;
    assert.match(configError(awsWithoutRegion), /S3_REGION: required when OBJECT_STORAGE=s3 and S3_ENDPOINT is unset/);
    assert.match(configError({ ...S3, S3_ENDPOINT: 'not a url' }), /S3_ENDPOINT: S3_ENDPOINT must be an http\(s\):\/\/ URL/);
    assert.match(configError({ ...S3, OBJECT_STORAGE: 'nfs' }), /OBJECT_STORAGE/);
  });

  it('refuses S3 settings while OBJECT_STORAGE is the filesystem (they would be silently ignored)', () => {
    assert.match(
      configError({ ...BASE, S3_BUCKET: 'passplatform-uploads' }),
      /OBJECT_STORAGE: is filesystem but S3_BUCKET set; set OBJECT_STORAGE=s3/,
    );
  });

  it('AWS S3 itself: no endpoint, the region from S3_REGION or the SDK standard AWS_REGION, credentials from the default chain', async () => {
    const base = { ...BASE, OBJECT_STORAGE: 's3', S3_BUCKET: 'passplatform-uploads' };
    assert.equal(
      describeObjectStorage(loadConfig({ ...base, AWS_REGION: 'eu-west-1' })),
      's3 bucket passplatform-uploads at AWS S3 (eu-west-1)',
    );
    const storage = createObjectStorage(loadConfig({ ...base, S3_REGION: 'eu-central-1' })) as S3ObjectStorage;
    assert.equal(await storage.client.config.region(), 'eu-central-1');
    assert.equal(storage.client.config.endpoint, undefined);
    storage.close();
  });
});
