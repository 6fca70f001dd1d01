/**
 * `npm start`: the whole platform in one process tree for a laptop or a demo — local Postgres and
 * Redis when none is configured, migrations, demo data on the first start of an embedded database,
 * then the API and the workers (both queues), and a note of what to try first. Stops
 * everything on SIGINT/SIGTERM, the API first so no new jobs arrive while the workers drain, and
 * flushes the traces, through the same `runUntilSignalled` as every process entry.
 */
import { runUntilSignalled } from '../core/service.js';
import { startTelemetry } from '../core/telemetry.js';
import type { DemoDataOutcome } from './demo-data.js';

// Tracing first: instrumentation patches koa, pg and ioredis as they load.
startTelemetry('passplatform');
const { startApi } = await import('../api/run.js');
const { startWorkers } = await import('../workers/run.js');
const { createKnex } = await import('../core/db.js');
const { migrateLatest } = await import('../core/migrate.js');
const { ensureLocalServices } = await import('./local-services.js');
const { loadDemoDataOnce } = await import('./demo-data.js');
const { startBanner } = await import('./start-banner.js');

await runUntilSignalled(async () => {
  const services = await ensureLocalServices(process.env);
  const env = { ...process.env, ...services.env };
  const knex = createKnex(env.DATABASE_URL as string, 2, 0);
  let demo: DemoDataOutcome | undefined;
  try {
    await migrateLatest(knex);
    // Demo data only goes into the database this command embedded, never into one it was given.
    if (services.env.DATABASE_URL) demo = await loadDemoDataOnce(knex, env, (message) => console.log(message));
  } finally {
    await knex.destroy();
  }
  const api = await startApi(env);
  const workers = await startWorkers(env);
  api.logger.info({ url: api.url, embedded: Object.keys(services.env).filter((k) => k.endsWith('_URL')) }, 'platform started');
  console.log(startBanner({ url: api.url, demo, dataDir: services.dataDir }));
  const stop = async () => {
    await api.stop().catch((err: unknown) => api.logger.error({ err }, 'api stop failed'));
    await workers.stop().catch((err: unknown) => api.logger.error({ err }, 'workers stop failed'));
    await services.stop();
  };
  return { logger: api.logger, stop };
}, 'platform stopped');
