/**
 * `npm start`: the whole platform in one process tree for a laptop or a demo — local Postgres and
 * Redis when none is configured, migrations, then the API. Stops everything on SIGINT/SIGTERM.
 */
import { startApi } from '../api/run.js';
import { createKnex } from '../core/db.js';
import { migrateLatest } from '../core/migrate.js';
import { ensureLocalServices } from './local-services.js';

async function main(): Promise<void> {
  const services = await ensureLocalServices(process.env);
  const env = { ...process.env, ...services.env };
  const knex = createKnex(env.DATABASE_URL as string, 2, 0);
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  const api = await startApi(env);
  const stopAll = async () => {
    await api.stop().catch((err: unknown) => api.logger.error({ err }, 'api stop failed'));
    await services.stop();
  };
  api.logger.info({ url: api.url, embedded: Object.keys(services.env).filter((k) => k.endsWith('_URL')) }, 'platform started');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      api.logger.info({ signal }, 'stopping');
      void stopAll().then(() => process.exit(0));
    });
  }
}

main().catch((err: Error) => {
  console.error(err.name === 'ConfigError' ? err.message : `start failed: ${err.message}`);
  process.exit(1);
});
