/** API process: configuration → dependencies → HTTP server, and a graceful stop on SIGTERM/SIGINT. */
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from './app.js';
import { createDeps } from './deps.js';
import { serve } from './server.js';

export async function startApi(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const logger = createLogger('api', config.LOG_LEVEL);
  const deps = await createDeps(config, logger);
  const running = await serve(buildApp(deps), deps, {
    port: config.PORT,
    host: config.HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainDelayMs: config.NODE_ENV === 'production' ? 5_000 : 0,
  });
  logger.info({ url: running.url }, 'api listening');
  return { ...running, logger };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startApi()
    .then(({ stop, logger }) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          logger.info({ signal }, 'draining');
          stop().then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        });
      }
    })
    .catch((err: Error) => {
      console.error(err.name === 'ConfigError' ? err.message : err);
      process.exit(1);
    });
}
