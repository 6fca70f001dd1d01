/**
 * Where the API and worker pods keep uploads and reports, from `spec.objectStorage`: an
 * S3-compatible bucket every pod shares (settings in the ConfigMap, credentials only by reference
 * to the platform team's Secret), or, when the spec names none, each pod's own emptyDir (one pod).
 */
import type { ObjectStorageSpec, PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { envFromSecret, STORAGE_MOUNT_PATH, type AppEnvVar, type AppSettings } from './env.js';

/** Keys of the Secret `spec.objectStorage.credentialsSecretName` names (as for database backups). */
export const OBJECT_STORAGE_SECRET_KEYS = { accessKeyId: 'ACCESS_KEY_ID', secretAccessKey: 'ACCESS_SECRET_KEY' } as const;

/** The non-secret storage settings of the API and workers (core/config.ts OBJECT_STORAGE, S3_*). */
export function objectStorageSettings(spec: PassPlatformSpec): AppSettings {
  const storage: ObjectStorageSpec | undefined = spec.objectStorage;
  if (!storage) return { OBJECT_STORAGE: 'filesystem', STORAGE_DIR: STORAGE_MOUNT_PATH };
  return {
    OBJECT_STORAGE: 's3',
    S3_BUCKET: storage.bucket,
    ...(storage.endpoint ? { S3_ENDPOINT: storage.endpoint } : {}),
    ...(storage.region ? { S3_REGION: storage.region } : {}),
    ...(storage.forcePathStyle !== undefined ? { S3_FORCE_PATH_STYLE: String(storage.forcePathStyle) } : {}),
  };
}

/**
 * The bucket's credentials, as the AWS SDK's standard variables read from the referenced Secret;
 * none without a Secret (the SDK's default chain then finds the pod's cloud identity).
 */
export function objectStorageCredentialsEnv(spec: PassPlatformSpec): AppEnvVar[] {
  const secret = spec.objectStorage?.credentialsSecretName;
  if (!secret) return [];
  return [
    envFromSecret('AWS_ACCESS_KEY_ID', secret, OBJECT_STORAGE_SECRET_KEYS.accessKeyId),
    envFromSecret('AWS_SECRET_ACCESS_KEY', secret, OBJECT_STORAGE_SECRET_KEYS.secretAccessKey),
  ];
}

/** The emptyDir uploads go to when no bucket is configured; none is mounted with a bucket. */
export function storageVolume(spec: PassPlatformSpec): { name: string; mountPath: string }[] {
  return spec.objectStorage ? [] : [{ name: 'storage', mountPath: STORAGE_MOUNT_PATH }];
}
