/**
 * The object storage a process uses, chosen by configuration (OBJECT_STORAGE): the filesystem
 * under STORAGE_DIR for one machine (`npm start`), or an S3-compatible bucket the pods share.
 * loadConfig() has already refused an incomplete S3 configuration, naming the variable.
 */
import type { Config } from './config.js';
import { FileSystemStorage, type ObjectStorage } from './object-storage.js';
import { S3ObjectStorage } from './object-storage-s3.js';

/** Where objects go, for the start-up log line: never a credential. */
export function describeObjectStorage(config: Config): string {
  if (config.OBJECT_STORAGE === 'filesystem') return `filesystem ${config.STORAGE_DIR}`;
  return `s3 bucket ${config.S3_BUCKET} at ${config.S3_ENDPOINT ?? `AWS S3 (${config.S3_REGION ?? config.AWS_REGION})`}`;
}

export function createObjectStorage(config: Config): ObjectStorage {
  if (config.OBJECT_STORAGE === 'filesystem') return new FileSystemStorage(config.STORAGE_DIR);
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = config;
  return new S3ObjectStorage({
    bucket: config.S3_BUCKET!,
    // A self-hosted endpoint ignores the region but SigV4 signs one: us-east-1 is the convention.
    region: config.S3_REGION ?? config.AWS_REGION ?? 'us-east-1',
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  });
}
