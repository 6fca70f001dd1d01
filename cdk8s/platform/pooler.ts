import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { poolerInstances } from './connection-budget.js';
import { POOLER_MAX_CLIENT_CONNECTIONS, POOLER_SERVER_CONNECTIONS } from './connection-limits.js';
import { CNPG_API_VERSION } from './database.js';
import { childLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

/**
 * Two CloudNativePG `Pooler`s (PgBouncer in transaction mode) in front of the database: `-rw` for
 * the primary and `-ro` for the replicas; the app pods connect to these, never to Postgres
 * directly, so their connections are multiplexed onto a bounded set of server connections. Each
 * Pooler runs as many PgBouncer instances as the app pods the autoscaler runs need
 * (cdk8s/platform/connection-budget.ts); CloudNativePG creates a Service named after each
 * Pooler, and a PodMonitor for its exporter.
 */
export class DatabasePoolers extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps) {
    super(scope, id);
    const names = childNames(props.name);
    const appPods = props.replicas.api + props.replicas['worker-uploads'] + props.replicas['worker-reports'];
    for (const type of ['rw', 'ro'] as const) {
      new ApiObject(this, type, {
        apiVersion: CNPG_API_VERSION,
        kind: 'Pooler',
        metadata: { name: names.databasePooler(type), labels: childLabels(props.name, 'postgres-pooler', props.spec.version) },
        spec: {
          cluster: { name: names.database },
          type,
          instances: poolerInstances(appPods),
          pgbouncer: {
            poolMode: 'transaction',
            parameters: { max_client_conn: String(POOLER_MAX_CLIENT_CONNECTIONS), default_pool_size: String(POOLER_SERVER_CONNECTIONS) },
          },
          monitoring: { enablePodMonitor: true },
        },
      });
    }
  }
}
