/**
 * The process-wide dependencies of the workers, built once from configuration and closed together:
 * what the processors use (`WorkerDeps`), and the BullMQ connection and queue handles of the
 * queues this process serves (WORKER_QUEUES), for its workers, queue metrics and stranded-job repair.
 */
import { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { Database } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import type { ObjectStorage } from '../core/object-storage.js';
import { createObjectStorage, describeObjectStorage } from '../core/object-storage-config.js';
import { Notifier } from '../core/realtime/notifier.js';
import { publishFailuresCounter, RealtimePublisher } from '../core/realtime/publisher.js';
import { bullPrefix, createQueueConnection, type JobDataByQueue, type QueueName } from '../core/queues.js';
import { closeRedis, createRedis, redisConnection, type RedisClient } from '../core/redis.js';

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

/** A handle on each queue this process serves. */
export type OpenQueues = { [Q in QueueName]?: Queue<JobDataByQueue[Q]> };

export interface WorkerResources extends WorkerDeps {
  /** BullMQ's connection, shared by the workers and the queue handles. */
  connection: RedisClient;
  queues: OpenQueues;
  close(): Promise<void>;
}

function openQueues(names: readonly QueueName[], connection: RedisClient, redisKeyPrefix: string): OpenQueues {
  const options = { connection, prefix: bullPrefix(redisKeyPrefix) };
  return {
    ...(names.includes('uploads') ? { uploads: new Queue<JobDataByQueue['uploads']>('uploads', options) } : {}),
    ...(names.includes('reports') ? { reports: new Queue<JobDataByQueue['reports']>('reports', options) } : {}),
  };
}

export function createWorkerDeps(config: Config, logger: Logger, registry: Registry): WorkerResources {
  const db = Database.fromConfig(config, logger, registry);
  logger.info({ objectStorage: describeObjectStorage(config) }, 'object storage');
  const delayMs = config.NODE_ENV === 'test' ? config.WORKER_TEST_DELAY_MS : 0;
  const redis = createRedis({ ...redisConnection(config), connectionName: 'workers-realtime', failFast: true });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'realtime redis connection error'));
  const publisher = RealtimePublisher.fromConfig(config, redis, logger, publishFailuresCounter(registry));
  const notify = new Notifier(publisher, db.primary, logger);
  const connection = createQueueConnection(config, 'workers');
  connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const queues = openQueues(config.WORKER_QUEUES, connection, config.REDIS_KEY_PREFIX);
  return {
    config,
    logger,
    db,
    storage: createObjectStorage(config),
    registry,
    notify,
    connection,
    queues,
    pauseMidJob: () => (delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve()),
    async close() {
      await Promise.allSettled(Object.values(queues).map((queue: Queue) => queue.close()));
      // Notifications in flight need Redis and Postgres: they finish first.
      await notify.settled();
      await Promise.allSettled([closeRedis(redis), db.close(), closeRedis(connection)]);
    },
  };
}
