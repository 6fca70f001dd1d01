/**
 * The connection budget of a managed platform. App pods reach Postgres through two PgBouncer
 * Poolers in transaction mode (one for the primary, one for the replicas), so what bounds the
 * fleet is:
 * - server side: each PgBouncer instance opens up to POOLER_SERVER_CONNECTIONS to its target, and
 *   all of a Pooler's instances together must fit an instance's max_connections less the reserve;
 *   that caps the instances a Pooler may run;
 * - client side: every app process opens up to APP_POOL_SIZE connections to each Pooler, and each
 *   PgBouncer instance accepts POOLER_MAX_CLIENT_CONNECTIONS.
 * Poolers are sized from the app pods the autoscaler runs; an API size the largest Poolers cannot
 * carry is refused (the autoscaler names this budget in its decision).
 */
import {
  APP_POOL_SIZE,
  MIN_POOLER_INSTANCES,
  POOLER_MAX_CLIENT_CONNECTIONS,
  POOLER_SERVER_CONNECTIONS,
  POSTGRES_MAX_CONNECTIONS,
  POSTGRES_RESERVED_CONNECTIONS,
} from './connection-limits.js';

/** Share of a PgBouncer's client slots planned for: pods come and go, and a rollout runs both sets. */
const CLIENT_HEADROOM = 0.8;

/** The most PgBouncer instances one Pooler may run before their server connections overrun Postgres. */
export const MAX_POOLER_INSTANCES = Math.floor((POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED_CONNECTIONS) / POOLER_SERVER_CONNECTIONS);

const clientsPerInstance = POOLER_MAX_CLIENT_CONNECTIONS * CLIENT_HEADROOM;

/** PgBouncer instances each Pooler needs for `appPods` API and worker processes. */
export function poolerInstances(appPods: number): number {
  const needed = Math.ceil((Math.max(0, appPods) * APP_POOL_SIZE) / clientsPerInstance);
  return Math.min(MAX_POOLER_INSTANCES, Math.max(MIN_POOLER_INSTANCES, needed));
}

/** The most API pods the Poolers can carry beside `workerPods` worker processes. */
export function maxApiPods(workerPods: number): number {
  return Math.max(0, Math.floor((MAX_POOLER_INSTANCES * clientsPerInstance) / APP_POOL_SIZE) - Math.max(0, workerPods));
}

/** Why an API size is refused, for the decision's reason. */
export function budgetRefusal(wanted: number, workerPods: number): string {
  const most = maxApiPods(workerPods);
  return (
    `connection budget: ${wanted} API pods × ${APP_POOL_SIZE} connections need more than ${MAX_POOLER_INSTANCES} PgBouncer instances ` +
    `(${MAX_POOLER_INSTANCES} × ${POOLER_SERVER_CONNECTIONS} server connections fill max_connections ${POSTGRES_MAX_CONNECTIONS} less ` +
    `${POSTGRES_RESERVED_CONNECTIONS} reserved) at ${POOLER_MAX_CLIENT_CONNECTIONS} clients each; held at ${most} beside ${workerPods} worker pods`
  );
}
