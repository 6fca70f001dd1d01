import { mkdir } from 'node:fs/promises';
/** Creates (and closes) the process-wide dependencies of the API from configuration. */
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { Database } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { createRegistry } from '../core/metrics.js';
import { createObjectStorage, describeObjectStorage } from '../core/object-storage-config.js';
import { registerVolumeMetrics } from '../core/process-metrics.js';
import { JobQueues } from '../core/queues.js';
import { exportDependencyAvailability } from '../core/breaker.js';
import {
  REDIS_DEADLINES,
  closeRedis,
  createRedis,
  createRedisBreaker,
  guardWithBreaker,
  probeRedis,
  redisConnection,
} from '../core/redis.js';
import { ActiveUsers } from './active-users.js';
import { SessionRevocations } from './auth/session-revocations.js';
import { TokenService } from './auth/tokens.js';
import { TwoLevelCache } from './cache/two-level-cache.js';
import { startPassServices } from './passes/services.js';
import type { AppDeps } from './context.js';
import { RateLimits } from './middleware/rate-limit.js';
import { ReadYourWrites } from './read-your-writes.js';
import { createRealtime } from './realtime/realtime.js';

export interface ApiResources extends AppDeps {
  close(): Promise<void>;
}

export async function createDeps(config: Config, logger: Logger, registry: Registry = createRegistry('api')): Promise<ApiResources> {
  const db = Database.fromConfig(config, logger, registry);
  const redisOptions = { ...redisConnection(config), failFast: true };
  // Every request/response call to Redis has a deadline and passes one breaker, so a hung Redis
  // costs one deadline, not one per request; the subscriber only waits for messages.
  const redisBreaker = createRedisBreaker(logger);
  const stopRedisProbe = probeRedis(redisBreaker, { ...redisOptions, connectionName: 'api' });
  const redis = guardWithBreaker(
    createRedis({ ...redisOptions, connectionName: 'api', commandTimeoutMs: REDIS_DEADLINES.commandMs }),
    redisBreaker,
  );
  exportDependencyAvailability(registry, [db.breaker, redisBreaker]);
  const subscriber = createRedis({ ...redisOptions, connectionName: 'api-sub', failFast: false, maxRetriesPerRequest: null });
  // Without an error listener ioredis would crash the process when Redis goes away; we degrade instead.
  for (const client of [redis, subscriber])
    client.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
  const cache = new TwoLevelCache({
    redis,
    subscriber,
    keyPrefix: config.REDIS_KEY_PREFIX,
    localMaxEntries: config.CACHE_LOCAL_MAX_ENTRIES,
    localTtlMs: config.CACHE_LOCAL_TTL_MS,
    defaultTtlSeconds: config.CACHE_TTL_SECONDS,
    registry,
    logger,
    redisBreaker,
  });
  // Subscribing waits for Redis; when it refuses connections the API starts anyway (degraded) and
  // the subscription completes whenever Redis comes back.
  const subscribed = cache
    .start()
    .catch((err: Error) => logger.warn({ err: err.message }, 'cache invalidation channel unavailable; will retry'));
  await Promise.race([subscribed, once(subscriber, 'error')]);
  const rateLimits = new RateLimits({
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    authPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    loginFailuresPerAccount: config.LOGIN_FAILURES_PER_ACCOUNT,
    loginFailuresPerAddress: config.LOGIN_FAILURES_PER_ADDRESS,
    registry,
  });
  const readYourWrites = new ReadYourWrites(
    redis,
    config.REDIS_KEY_PREFIX,
    config.READ_YOUR_WRITES_MS,
    config.DATABASE_REPLICA_URLS.length > 0,
  );
  const queues = new JobQueues(config, 'api-queues', redisBreaker);
  const activeUsers = new ActiveUsers({ redis, keyPrefix: config.REDIS_KEY_PREFIX, registry, logger });
  logger.info({ objectStorage: describeObjectStorage(config) }, 'object storage');
  if (config.OBJECT_STORAGE === 'filesystem') {
    // The volume's free space is only ours to watch when uploads live on it (S3 has no such limit).
    await mkdir(config.STORAGE_DIR, { recursive: true });
    registerVolumeMetrics(registry, 'uploads', config.STORAGE_DIR);
  }
  const passes = await startPassServices({ config, logger, db, redis, redisBreaker, subscriber, registry });
  const sessions = new SessionRevocations({
    knex: db.primary,
    redis,
    subscriber,
    keyPrefix: config.REDIS_KEY_PREFIX,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    syncIntervalMs: config.SESSION_REVOCATION_SYNC_MS,
    logger,
    redisBreaker,
  });
  await sessions.start();
  const tokens = new TokenService({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const realtime = await createRealtime({ config, logger, redis, registry, knex: db.primary, tokens, sessions });

  return {
    config,
    logger,
    db,
    redis,
    redisBreaker,
    cache,
    tokens,
    sessions,
    rateLimits,
    readYourWrites,
    activeUsers,
    registry,
    queues,
    storage: createObjectStorage(config),
    passes,
    realtime,
    draining: { value: false },
    async close() {
      sessions.close();
      // The last second's users go to Redis before its connection closes.
      await activeUsers.close();
      rateLimits.close();
      // Buffered access logs are written before the pools they need are closed.
      await passes.close().catch((err: Error) => logger.error({ err: err.message }, 'closing pass services failed'));
      await realtime.close().catch((err: Error) => logger.error({ err: err.message }, 'closing real-time services failed'));
      // Each resource closes on its own so one failure does not leave the others open.
      stopRedisProbe();
      await Promise.allSettled([db.close(), closeRedis(redis), closeRedis(subscriber), queues.close()]);
    },
  };
}
