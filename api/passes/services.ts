/**
 * The long-lived parts of the pass module in one API process: the signer, the revocation
 * registry, the batched access-log writer, the verifier and the partition upkeep. Created and
 * closed with the process's other dependencies (api/deps.ts); `close()` flushes access logs.
 */
import type { Registry } from 'prom-client';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Config } from '../../core/config.js';
import type { Database } from '../../core/db.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import { ensurePartitionsAhead } from '../access-logs/partitions.js';
import { AccessLogWriter } from '../access-logs/writer.js';
import { RevocationRegistry } from './revocations.js';
import { PassSigner } from '../../domain/passes/signing.js';
import { PassVerifier } from './verifier.js';

// Partitions are created months ahead, so checking a few times a day is plenty.
const PARTITION_CHECK_MS = 6 * 3600 * 1000;

export interface PassServices {
  signer: PassSigner;
  revocations: RevocationRegistry;
  accessLogs: AccessLogWriter;
  verifier: PassVerifier;
  /** Creates this month's and the coming months' access-log partitions (idempotent). */
  ensurePartitions(now?: Date): Promise<string[]>;
  close(): Promise<void>;
}

export interface PassServiceDeps {
  config: Config;
  logger: Logger;
  db: Database;
  redis: RedisClient;
  redisBreaker?: DependencyBreaker;
  subscriber: RedisClient;
  registry: Registry;
}

export async function startPassServices({
  config,
  logger,
  db,
  redis,
  redisBreaker,
  subscriber,
  registry,
}: PassServiceDeps): Promise<PassServices> {
  const signer = PassSigner.fromConfig(config, logger);
  const revocations = new RevocationRegistry({
    knex: db.primary,
    redis,
    subscriber,
    keyPrefix: config.REDIS_KEY_PREFIX,
    syncIntervalMs: config.PASS_REVOCATION_SYNC_MS,
    logger,
    ...(redisBreaker ? { redisBreaker } : {}),
  });
  const accessLogs = new AccessLogWriter({
    knex: db.primary,
    logger,
    registry,
    flushIntervalMs: config.ACCESS_LOG_FLUSH_MS,
    batchSize: config.ACCESS_LOG_BATCH_SIZE,
    spillDir: config.ACCESS_LOG_SPILL_DIR,
  });
  const verifier = new PassVerifier({
    signer,
    revocations,
    redis,
    knex: db.primary,
    accessLogs,
    keyPrefix: config.REDIS_KEY_PREFIX,
    antiPassbackSeconds: config.ANTI_PASSBACK_WINDOW_SECONDS,
    logger,
    registry,
    ...(redisBreaker ? { redisBreaker } : {}),
  });
  const ensurePartitions = (now = new Date()) => ensurePartitionsAhead(db.primary, now, config.ACCESS_LOG_PARTITIONS_AHEAD);
  const upkeep = () =>
    ensurePartitions().catch((err: Error) => {
      // Rows still land in the DEFAULT partition and move into their month when it is created.
      logger.warn({ err: err.message }, 'access log partitions could not be created; will retry');
      return [];
    });

  await upkeep();
  await revocations.start();
  await accessLogs.start();
  const timer = setInterval(() => void upkeep(), PARTITION_CHECK_MS);
  timer.unref();

  return {
    signer,
    revocations,
    accessLogs,
    verifier,
    ensurePartitions,
    async close() {
      clearInterval(timer);
      revocations.close();
      verifier.close();
      await accessLogs.close();
    },
  };
}
