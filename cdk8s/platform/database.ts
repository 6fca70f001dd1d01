import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { DatabaseBackupSpec, ManagedDatabaseSpec } from '../../platform-api/v1alpha1/index.js';
import { POSTGRES_MAX_CONNECTIONS } from './connection-limits.js';
import { childLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

export const CNPG_API_VERSION = 'postgresql.cnpg.io/v1';

/**
 * WAL archiving to object storage through CloudNativePG's Barman integration. `archive_timeout`
 * forces a segment switch on a quiet primary, so no committed write waits longer than that to
 * leave the node: that is what bounds the RPO (15 minutes in the SLA catalog).
 */
function barmanObjectStore(backup: DatabaseBackupSpec) {
  const secret = backup.credentialsSecretName;
  return {
    destinationPath: backup.destinationPath,
    ...(backup.endpointURL ? { endpointURL: backup.endpointURL } : {}),
    s3Credentials: {
      accessKeyId: { name: secret, key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: secret, key: 'ACCESS_SECRET_KEY' },
    },
    wal: { compression: 'gzip', maxParallel: 2 },
    data: { compression: 'gzip' },
  };
}

/**
 * A CloudNativePG `Cluster`: one primary plus the read replicas the autoscaler asks for
 * (`instances` = 1 + replicas). CloudNativePG creates the `-rw` Service (primary), the `-ro`
 * Service (replicas only) and the `-app` credentials Secret the API reads. With `backup` set, WAL
 * is archived continuously and a `ScheduledBackup` takes base backups on its schedule.
 */
export class PostgresCluster extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps, managed: ManagedDatabaseSpec) {
    super(scope, id);
    const backup = managed.backup;
    const parameters: Record<string, string> = { max_connections: String(POSTGRES_MAX_CONNECTIONS), shared_buffers: '256MB' };
    if (backup) parameters.archive_timeout = `${backup.archiveTimeoutSeconds}s`;
    const name = childNames(props.name).database;
    if (backup) {
      new ApiObject(this, 'scheduled-backup', {
        apiVersion: CNPG_API_VERSION,
        kind: 'ScheduledBackup',
        metadata: { name: `${name}-base`, labels: childLabels(props.name, 'postgres', props.spec.version) },
        spec: { schedule: backup.schedule, cluster: { name }, backupOwnerReference: 'self', immediate: true },
      });
    }
    new ApiObject(this, 'cluster', {
      apiVersion: CNPG_API_VERSION,
      kind: 'Cluster',
      metadata: { name, labels: childLabels(props.name, 'postgres', props.spec.version) },
      spec: {
        instances: 1 + props.replicas['postgres-replicas'],
        imageName: `ghcr.io/cloudnative-pg/postgresql:${managed.postgresVersion}`,
        primaryUpdateStrategy: 'unsupervised',
        storage: { size: managed.storage },
        // Plain strings: this is a plain ApiObject, which would serialise a cdk8s Quantity as
        // {value: "16Gi"}, an object CloudNativePG's CRD refuses.
        resources: {
          requests: { cpu: managed.resources.cpu, memory: managed.resources.memory },
          limits: { memory: managed.resources.memory },
        },
        // Text sorted by code point: the search's name-prefix ranges are bounded in that order and
        // the migrations refuse a database that sorts otherwise (core/database-collation.ts). C is
        // CloudNativePG's default too; stating it keeps a changed default from breaking search.
        bootstrap: { initdb: { database: 'app', owner: 'app', localeCollate: 'C' } },
        postgresql: { parameters },
        ...(backup ? { backup: { barmanObjectStore: barmanObjectStore(backup), retentionPolicy: backup.retentionPolicy } } : {}),
        monitoring: { enablePodMonitor: true },
        affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname' },
      },
    });
  }
}
