/** The process-wide dependencies of the workers, built once from configuration and closed together. */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { Database } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { METRIC } from '../core/metric-names.js';
import type { ObjectStorage } from '../core/object-storage.js';
import { createObjectStorage, describeObjectStorage } from '../core/object-storage-config.js';
import { Notifier } from '../core/realtime/notifier.js';
import { RealtimePublisher } from '../core/realtime/publisher.js';
import { closeRedis, createRedis, redisConnection } from '../core/redis.js';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  /** Writes go to the primary; report queries go to a read replica through `db.read`. */
  db: Database;
  storage: ObjectStorage;
  registry: Registry;
  /** Real-time notifications (upload ready/rejected, report ready), sent after the change commits. */
  notify: Notifier;
  /** Test-only pause in the middle of a job (WORKER_TEST_DELAY_MS, honoured when NODE_ENV=test). */
  pauseMidJob(): Promise<void>;
}

export function createWorkerDeps(config: Config, logger: Logger, registry: Registry): WorkerDeps & { close(): Promise<void> } {
  const db = Database.fromConfig(config, logger, registry);
  logger.info({ objectStorage: describeObjectStorage(config) }, 'object storage');
  const delayMs = config.NODE_ENV === 'test' ? config.WORKER_TEST_DELAY_MS : 0;
  const redis = createRedis({ ...redisConnection(config), connectionName: 'workers-realtime', failFast: true });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'realtime redis connection error'));
  const failures = new Counter({
    name: METRIC.realtimePublishFailures,
    help: 'Real-time messages that could not be published (the state change itself stands).',
    labelNames: ['feed'] as const,
    registers: [registry],
  });
  const publisher = new RealtimePublisher({
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    historyLength: config.REALTIME_HISTORY_LENGTH,
    historyTtlSeconds: config.REALTIME_HISTORY_TTL_SECONDS,
    logger,
    failures,
  });
  const notify = new Notifier(publisher, db.primary, logger);
  return {
    config,
    logger,
    db,
    storage: createObjectStorage(config),
    registry,
    notify,
    pauseMidJob: () => (delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve()),
    async close() {
      // Notifications in flight need Redis and Postgres: they finish first.
      await notify.settled();
      await Promise.allSettled([closeRedis(redis), db.close()]);
    },
  };
}
