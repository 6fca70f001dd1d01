/** The process-wide dependencies of the workers, built once from configuration and closed together. */
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { Database } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { FileSystemStorage, type ObjectStorage } from '../core/object-storage.js';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  /** Writes go to the primary; report queries go to a read replica through `db.read`. */
  db: Database;
  storage: ObjectStorage;
  registry: Registry;
  /** Test-only pause in the middle of a job (WORKER_TEST_DELAY_MS, honoured when NODE_ENV=test). */
  pauseMidJob(): Promise<void>;
}

export function createWorkerDeps(config: Config, logger: Logger, registry: Registry): WorkerDeps & { close(): Promise<void> } {
  const db = Database.fromConfig(config, logger, registry);
  const delayMs = config.NODE_ENV === 'test' ? config.WORKER_TEST_DELAY_MS : 0;
  return {
    config,
    logger,
    db,
    storage: new FileSystemStorage(config.STORAGE_DIR),
    registry,
    pauseMidJob: () => (delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve()),
    close: () => db.close(),
  };
}
