/**
 * The shared tail of every process entry point: start the service, and on SIGTERM/SIGINT stop it
 * gracefully, flush traces, and exit 0 (or 1 if stopping failed). A bad configuration prints its
 * message, not a stack trace.
 */
import type { Logger } from './logger.js';
import { shutdownTelemetry } from './telemetry.js';

export interface StartedService {
  stop(): Promise<void>;
  logger: Logger;
}

export async function runUntilSignalled(start: () => Promise<StartedService>, stoppedMessage = 'stopped'): Promise<void> {
  try {
    const { stop, logger } = await start();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info({ signal }, 'draining');
        stop()
          .then(() => shutdownTelemetry())
          .then(
            () => {
              logger.info(stoppedMessage);
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
}

/**
 * Waits for a drain at most `graceMs`: whether it finished in time. One left running is not
 * awaited (the process exits soon after; what it held is taken over elsewhere).
 */
export async function drainWithin(draining: Promise<unknown>, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  try {
    return (await Promise.race([draining.then(() => 'drained' as const), grace])) === 'drained';
  } finally {
    clearTimeout(timer);
  }
}
