/**
 * The storage the operator gives the API and worker pods: with `spec.objectStorage`, the bucket's
 * settings in the ConfigMap (accepted by core/config.ts as the processes load it), its credentials
 * only by reference to the Secret the spec names (app containers only), no per-pod volume;
 * without it, the filesystem on each pod's emptyDir.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { loadConfig } from '../../core/config.js';
import { describeObjectStorage } from '../../core/object-storage-config.js';
import { renderExample, type RenderedPlatform } from '../../testing/platform-children.js';
import { childNames } from './names.js';
import { objectStorageCredentialsEnv, objectStorageSettings, storageVolume } from './object-storage.js';

function rendered(file: string): { settings: Record<string, string>; deployments: V1Deployment[]; platform: RenderedPlatform['platform'] } {
  const { platform, children } = renderExample(file);
  const names = childNames(platform.metadata.name);
  const configMap = children.find((c) => c.kind === 'ConfigMap' && c.metadata?.name === names.config) as V1ConfigMap;
  const deployments = children.filter((c) => c.kind === 'Deployment') as V1Deployment[];
  return { settings: configMap.data ?? {}, deployments, platform };
}

describe('object storage of the platform pods', () => {
  for (const file of ['small.yaml', 'production.yaml']) {
    it(`${file}: the bucket for every API and worker pod, credentials by Secret reference only`, () => {
      const { settings, deployments, platform } = rendered(file);
      const storage = platform.spec.objectStorage!;
      assert.ok(storage, `${file} names spec.objectStorage`);
      assert.equal(settings.OBJECT_STORAGE, 's3');
      assert.equal(settings.S3_BUCKET, storage.bucket);
      assert.equal(settings.S3_ENDPOINT, storage.endpoint);
      assert.equal(settings.STORAGE_DIR, undefined);
      // What the processes make of it: the ConfigMap plus the Secret's two values.
      const config = loadConfig({
        DATABASE_URL: 'postgres://x/app',
        JWT_SECRET: 'j'.repeat(40),
        ...settings,
        AWS_ACCESS_KEY_ID: 'id',
        AWS_SECRET_ACCESS_KEY: 'secret',
      });
      assert.equal(describeObjectStorage(config), `s3 bucket ${storage.bucket} at ${storage.endpoint}`);
      assert.equal(config.S3_FORCE_PATH_STYLE, true);

      assert.ok(deployments.length >= 3);
      for (const deployment of deployments) {
        const pod = deployment.spec!.template.spec!;
        const [app] = pod.containers;
        const credentials = (app!.env ?? []).filter((v) => v.name.startsWith('AWS_'));
        assert.deepEqual(credentials, [
          {
            name: 'AWS_ACCESS_KEY_ID',
            valueFrom: { secretKeyRef: { name: storage.credentialsSecretName, key: 'ACCESS_KEY_ID', optional: false } },
          },
          {
            name: 'AWS_SECRET_ACCESS_KEY',
            valueFrom: { secretKeyRef: { name: storage.credentialsSecretName, key: 'ACCESS_SECRET_KEY', optional: false } },
          },
        ]);
        for (const init of pod.initContainers ?? [])
          assert.ok(!(init.env ?? []).some((v) => v.name.startsWith('AWS_')), `${init.name} gets no bucket credentials`);
        assert.ok(!(pod.volumes ?? []).some((v) => v.name === 'storage'), `${deployment.metadata?.name} mounts no per-pod storage volume`);
        assert.ok(!JSON.stringify(deployment).includes('secretAccessKey'), 'no credential value inline');
      }
    });
  }

  it('without spec.objectStorage: the filesystem on a per-pod emptyDir, no credentials', () => {
    const { platform } = rendered('small.yaml');
    const spec = { ...platform.spec, objectStorage: undefined };
    assert.deepEqual(objectStorageSettings(spec), { OBJECT_STORAGE: 'filesystem', STORAGE_DIR: '/var/lib/passplatform/storage' });
    assert.deepEqual(objectStorageCredentialsEnv(spec), []);
    assert.deepEqual(storageVolume(spec), [{ name: 'storage', mountPath: '/var/lib/passplatform/storage' }]);
  });

  it('AWS S3 through the pods own identity: region only, no Secret, no credentials in the env', () => {
    const { platform } = rendered('production.yaml');
    const spec = { ...platform.spec, objectStorage: { bucket: 'campus-objects', region: 'eu-west-1' } };
    assert.deepEqual(objectStorageSettings(spec), { OBJECT_STORAGE: 's3', S3_BUCKET: 'campus-objects', S3_REGION: 'eu-west-1' });
    assert.deepEqual(objectStorageCredentialsEnv(spec), []);
    const config = loadConfig({ DATABASE_URL: 'postgres://x/app', JWT_SECRET: 'j'.repeat(40), ...objectStorageSettings(spec) });
    assert.equal(describeObjectStorage(config), 's3 bucket campus-objects at AWS S3 (eu-west-1)');
  });
});
