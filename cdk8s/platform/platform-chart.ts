import { App, Chart } from 'cdk8s';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiWorkload } from './api.js';
import { PlatformConfig } from './config.js';
import { PostgresCluster } from './database.js';
import { PlatformMonitoring } from './monitoring.js';
import { DatabasePoolers } from './pooler.js';
import type { PlatformChildrenProps } from './props.js';
import { RedisCluster } from './redis.js';
import { Workers } from './workers.js';

/** Every child object of one PassPlatform, as a cdk8s chart in the platform's namespace. */
export class PlatformChart extends Chart {
  constructor(app: App, props: PlatformChildrenProps) {
    super(app, props.name, { namespace: props.namespace, disableResourceNameHashes: true });
    new PlatformConfig(this, 'config', props);
    new ApiWorkload(this, 'api', props);
    new Workers(this, 'workers', props);
    const { database, redis } = props.spec;
    if (database.mode === 'managed' && database.managed) {
      new PostgresCluster(this, 'postgres', props, database.managed);
      new DatabasePoolers(this, 'poolers', props);
    }
    if (redis.mode === 'managed' && redis.managed) new RedisCluster(this, 'redis', props, redis.managed);
    new PlatformMonitoring(this, 'monitoring', props);
  }
}

/** The children as plain objects, the form the operator applies. */
export function buildPlatformChildren(props: PlatformChildrenProps): KubernetesObject[] {
  return new PlatformChart(new App(), props).toJson() as KubernetesObject[];
}
