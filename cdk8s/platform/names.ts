/** Names of a platform's children, derived from the platform name only, so they never collide between platforms. */
export function childNames(platform: string) {
  return {
    config: `${platform}-config`,
    keys: `${platform}-keys`,
    api: `${platform}-api`,
    worker: (queue: string) => `${platform}-worker-${queue}`,
    workersMetrics: `${platform}-workers`,
    database: `${platform}-db`,
    /** CloudNativePG creates `<cluster>-app` (credentials), `<cluster>-rw` (primary) and `<cluster>-ro` (replicas only). */
    databaseAppSecret: `${platform}-db-app`,
    databaseRw: `${platform}-db-rw`,
    databaseRo: `${platform}-db-ro`,
    /** CloudNativePG Poolers (PgBouncer) and their Services: the app's way to the primary and to the replicas. */
    databasePooler: (type: 'rw' | 'ro') => `${platform}-db-pooler-${type}`,
    redis: `${platform}-redis`,
    redisHeadless: `${platform}-redis-headless`,
    redisScripts: `${platform}-redis-scripts`,
    redisClusterJob: (shards: number, replicasPerShard: number) => `${platform}-redis-cluster-s${shards}r${replicasPerShard}`,
    monitor: `${platform}`,
    rules: `${platform}`,
    dashboards: `${platform}-dashboards`,
  };
}
