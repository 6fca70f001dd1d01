/**
 * Workers process entry (`npm run workers`): tracing first (instrumentation patches pg and
 * ioredis as they load, so the workers are imported only afterwards), then the queues' workers,
 * and a graceful stop on SIGTERM/SIGINT that lets the jobs in flight finish.
 */
import { shutdownTelemetry, startTelemetry } from '../core/telemetry.js';

startTelemetry('passplatform-workers');
const { startWorkers } = await import('./run.js');

try {
  const { stop, logger } = await startWorkers();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'draining');
      stop()
        .then(() => shutdownTelemetry())
        .then(
          () => {
            logger.info('workers stopped');
            process.exit(0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
} catch (err) {
  console.error((err as Error).name === 'ConfigError' ? (err as Error).message : err);
  process.exit(1);
}
