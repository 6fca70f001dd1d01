/**
 * Redis through ioredis: a single node (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES). Keys are
 * prefixed by hand rather than with ioredis' `keyPrefix`, because BullMQ refuses that option and
 * pub/sub channels ignore it; one prefix per deployment (and per test file) keeps data apart.
 */
import { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  url?: string | undefined;
  clusterNodes?: string[];
  /** BullMQ's blocking connections need `null` here; request/response clients fail fast. */
  maxRetriesPerRequest?: number | null;
  /** Fail commands at once while disconnected instead of queueing them (cache and rate-limit paths). */
  failFast?: boolean;
  connectionName?: string;
}

export function createRedis(options: RedisConnectionOptions): RedisClient {
  const common = {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 2 : options.maxRetriesPerRequest,
    enableOfflineQueue: !options.failFast,
    connectionName: options.connectionName,
    lazyConnect: false,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    const nodes = options.clusterNodes.map((seed) => {
      const [host, port] = seed.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, { redisOptions: common, enableOfflineQueue: common.enableOfflineQueue });
  }
  return new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
}

/** Closes a client, falling back to disconnect when QUIT cannot be sent. */
export async function closeRedis(client: RedisClient): Promise<void> {
  // QUIT waits in the offline queue while disconnected, which would hang shutdown forever.
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
