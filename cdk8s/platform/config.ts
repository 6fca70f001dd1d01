import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import type { AppSettings } from './env.js';
import { childLabels } from './labels.js';
import { objectStorageSettings } from './object-storage.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

/** Keys of the generated Secret; the API reads them from its environment. */
export const KEY_NAMES = ['JWT_SECRET', 'PASS_SIGNING_PRIVATE_KEY', 'PASS_SIGNING_PUBLIC_KEY', 'REDIS_PASSWORD', 'METRICS_TOKEN'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

/**
 * The pass-signing key id: a fingerprint of the public key, so every process of a platform agrees
 * on it, and a new key pair gets a new id (tokens name the key that verifies them).
 */
export function passSigningKeyId(keys: Record<string, string>): string {
  const publicKey = Buffer.from(keys.PASS_SIGNING_PUBLIC_KEY ?? '', 'base64');
  return `ed25519-${createHash('sha256').update(publicKey).digest('base64url').slice(0, 16)}`;
}

/** Non-secret settings of the API and workers, as environment variables. */
export function platformSettings(props: PlatformChildrenProps): AppSettings {
  const names = childNames(props.name);
  const svc = (service: string) => `${service}.${props.namespace}.svc`;
  const { spec } = props;
  return {
    NODE_ENV: 'production',
    ...(spec.redis.mode === 'managed' ? { REDIS_CLUSTER_NODES: `${svc(names.redis)}:6379` } : {}),
    // CloudNativePG's `-ro` Service balances over the replicas; `app` is the database its initdb creates.
    ...(spec.database.mode === 'managed' ? { DATABASE_REPLICA_URLS: `postgresql://${svc(names.databasePooler('ro'))}:5432/app` } : {}),
    PASS_SIGNING_KEY_ID: passSigningKeyId(props.keys),
    ...objectStorageSettings(spec),
    UPLOAD_WORKER_CONCURRENCY: String(spec.workers.uploads.concurrency),
    REPORT_WORKER_CONCURRENCY: String(spec.workers.reports.concurrency),
  };
}

/** Hash of everything pods read at start, put on pod templates so a settings change rolls them. */
export function settingsHash(props: PlatformChildrenProps): string {
  return createHash('sha256')
    .update(JSON.stringify([platformSettings(props), props.keys]))
    .digest('hex')
    .slice(0, 16);
}

/** The settings ConfigMap and the generated-keys Secret. */
export class PlatformConfig extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps) {
    super(scope, id);
    const names = childNames(props.name);
    const labels = childLabels(props.name, 'config', props.spec.version);
    new k8s.KubeConfigMap(this, 'settings', { metadata: { name: names.config, labels }, data: platformSettings(props) });
    new k8s.KubeSecret(this, 'keys', { metadata: { name: names.keys, labels }, type: 'Opaque', data: props.keys });
  }
}
