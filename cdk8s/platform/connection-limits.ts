/**
 * The connection settings a managed platform is deployed with, in one place: the manifests write
 * them (the CloudNativePG Cluster's max_connections, the PgBouncer Poolers' parameters, the app
 * pods' pool size) and the autoscaler's connection budget reads the same numbers.
 */

/** Each app process's pg pool (core/config.ts DATABASE_POOL_MAX, set explicitly in the pods). */
export const APP_POOL_SIZE = 20;

/** The Cluster's max_connections on every instance. */
export const POSTGRES_MAX_CONNECTIONS = 200;

/**
 * Connections on each instance that PgBouncer may not use: superuser_reserved_connections (3,
 * PostgreSQL's default), CloudNativePG's instance manager and metrics exporter, streaming
 * replication and a margin for an administrator's psql.
 */
export const POSTGRES_RESERVED_CONNECTIONS = 20;

/**
 * PgBouncer, transaction pooling: `default_pool_size` server connections per database/user pair
 * (PgBouncer's default, 20) and `max_client_conn` clients per instance (raised from PgBouncer's
 * default of 100, which is sized for one application server: a waiting client costs PgBouncer a
 * few kilobytes, a server connection costs Postgres a backend process).
 */
export const POOLER_SERVER_CONNECTIONS = 20;
export const POOLER_MAX_CLIENT_CONNECTIONS = 1000;

/** PgBouncer instances per Pooler at least: one may restart while the other serves. */
export const MIN_POOLER_INSTANCES = 2;
