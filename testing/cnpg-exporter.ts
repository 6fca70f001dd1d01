/**
 * CloudNativePG's metrics for a Postgres that is not run by CloudNativePG: its exporter lives in
 * the instance manager, which only runs inside a CNPG-managed pod, so it cannot run here. This
 * target runs the queries of CNPG's default monitoring ConfigMap (`backends`, `pg_settings`)
 * against a real Postgres at every scrape and publishes the rows under the names and labels the
 * instance manager gives them (`cnpg_<query>_<column>`), so a real Prometheus reads real
 * connection counts and settings.
 */
import knexFactory from 'knex';
import { METRIC } from '../core/metric-names.js';
import { family, line, startExpositionTarget, type ExpositionTarget } from './exposition-target.js';

/** CNPG `default-monitoring.yaml`, query `backends` (label columns: datname, usename, application_name, state). */
const BACKENDS = `
SELECT sa.datname, sa.usename, sa.application_name, states.state, COALESCE(sa.count, 0) AS total
FROM (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'), ('fastpath function call'), ('disabled')) AS states(state)
LEFT JOIN (
  SELECT datname, state, usename, COALESCE(application_name, '') AS application_name, COUNT(*)
  FROM pg_catalog.pg_stat_activity GROUP BY datname, state, usename, application_name
) sa ON states.state = sa.state
WHERE sa.usename IS NOT NULL`;

/** CNPG `default-monitoring.yaml`, query `pg_settings` (label column: name). */
const SETTINGS = `
SELECT name, CASE setting WHEN 'on' THEN '1' WHEN 'off' THEN '0' ELSE setting END AS setting
FROM pg_catalog.pg_settings WHERE vartype IN ('integer', 'real', 'bool') ORDER BY 1`;

export interface CnpgExporter extends ExpositionTarget {
  close(): Promise<void>;
}

export async function startCnpgExporter(postgresUrl: string): Promise<CnpgExporter> {
  const quiet = () => undefined;
  // A stopped Postgres is a scenario, not news: the failed scrape (up = 0) says it; knex need not print it.
  const db = knexFactory({
    client: 'pg',
    connection: postgresUrl,
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 2_000,
    log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
  });
  const target = await startExpositionTarget(async () => {
    const backends = (await db.raw(BACKENDS)).rows as {
      datname: string;
      usename: string;
      application_name: string;
      state: string;
      total: string;
    }[];
    const settings = (await db.raw(SETTINGS)).rows as { name: string; setting: string }[];
    return [
      family(
        METRIC.cnpgBackends,
        'gauge',
        'Number of backends',
        backends.map((r) =>
          line(
            METRIC.cnpgBackends,
            { datname: r.datname ?? '', usename: r.usename, application_name: r.application_name, state: r.state },
            Number(r.total),
          ),
        ),
      ),
      family(
        METRIC.cnpgSetting,
        'gauge',
        'Setting value',
        settings
          .filter((r) => Number.isFinite(Number(r.setting)))
          .map((r) => line(METRIC.cnpgSetting, { name: r.name }, Number(r.setting))),
      ),
    ].join('\n');
  });
  return {
    address: target.address,
    async close() {
      await target.close();
      await db.destroy();
    },
  };
}
