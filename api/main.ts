/**
 * API process entry: tracing first (instrumentation patches koa, pg and ioredis as they load, so
 * the app is imported only afterwards), then the server, and a graceful stop on SIGTERM/SIGINT.
 */
import { shutdownTelemetry, startTelemetry } from '../core/telemetry.js';

startTelemetry('passplatform-api');
const { startApi } = await import('./run.js');

try {
  const { stop, logger } = await startApi();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'draining');
      stop()
        .then(() => shutdownTelemetry())
        .then(
          () => process.exit(0),
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
