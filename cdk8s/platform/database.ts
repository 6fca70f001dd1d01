import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ManagedDatabaseSpec } from '../../operator/spec.js';
import { resourceRequirements } from './app-pod.js';
import { childLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

export const CNPG_API_VERSION = 'postgresql.cnpg.io/v1';

/**
 * A CloudNativePG `Cluster`: one primary plus the read replicas the autoscaler asks for
 * (`instances` = 1 + replicas). CloudNativePG creates the `-rw` Service (primary), the `-ro`
 * Service (replicas only) and the `-app` credentials Secret the API reads.
 */
export class PostgresCluster extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps, managed: ManagedDatabaseSpec) {
    super(scope, id);
    new ApiObject(this, 'cluster', {
      apiVersion: CNPG_API_VERSION,
      kind: 'Cluster',
      metadata: { name: childNames(props.name).database, labels: childLabels(props.name, 'postgres', props.spec.version) },
      spec: {
        instances: 1 + props.replicas['postgres-replicas'],
        imageName: `ghcr.io/cloudnative-pg/postgresql:${managed.postgresVersion}`,
        primaryUpdateStrategy: 'unsupervised',
        storage: { size: managed.storage },
        resources: resourceRequirements(managed.resources),
        bootstrap: { initdb: { database: 'app', owner: 'app' } },
        postgresql: { parameters: { max_connections: '200', shared_buffers: '256MB' } },
        monitoring: { enablePodMonitor: true },
        affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname' },
      },
    });
  }
}
