import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import { childLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

/** Keys of the generated Secret; the API reads them from its environment. */
export const KEY_NAMES = ['JWT_SECRET', 'PASS_SIGNING_PRIVATE_KEY', 'PASS_SIGNING_PUBLIC_KEY', 'REDIS_PASSWORD'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

/** Non-secret settings of the API and workers, as environment variables. */
export function platformSettings(props: PlatformChildrenProps): Record<string, string> {
  const names = childNames(props.name);
  const svc = (service: string) => `${service}.${props.namespace}.svc`;
  const { spec } = props;
  return {
    NODE_ENV: 'production',
    PLATFORM_NAME: props.name,
    DATABASE_MODE: spec.database.mode,
    REDIS_MODE: spec.redis.mode,
    ...(spec.redis.mode === 'managed' ? { REDIS_CLUSTER_NODES: `${svc(names.redis)}:6379` } : {}),
    ...(spec.database.mode === 'managed' ? { DATABASE_PRIMARY_HOST: svc(names.databaseRw), DATABASE_REPLICA_HOST: svc(names.databaseRo) } : {}),
    SLA_TARGETS_SECONDS: JSON.stringify(spec.sla),
    WORKER_UPLOADS_CONCURRENCY: String(spec.workers.uploads.concurrency),
    WORKER_REPORTS_CONCURRENCY: String(spec.workers.reports.concurrency),
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
