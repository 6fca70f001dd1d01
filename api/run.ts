/** Starts the API from an environment: configuration → dependencies → HTTP server. */
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from './app.js';
import { createDeps } from './deps.js';
import { refuseUnsafeProduction } from './production-checks.js';
import { serve } from './server.js';

export async function startApi(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const logger = createLogger('api', config.LOG_LEVEL);
  const deps = await createDeps(config, logger);
  try {
    await refuseUnsafeProduction(config, env, deps.db.primary);
  } catch (err) {
    await deps.close();
    throw err;
  }
  const running = await serve(buildApp(deps), deps, {
    port: config.PORT,
    host: config.HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    drainDelayMs: config.NODE_ENV === 'production' ? 5_000 : 0,
  });
  logger.info({ url: running.url }, 'api listening');
  return { ...running, logger };
}
