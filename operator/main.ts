/**
 * `npm run operator`: the PassPlatform operator. Wiring only — kube config (kubeconfig or
 * in-cluster), the metrics/health server, leader election on a Lease, and the controller, which
 * runs only while this replica leads.
 *
 * Environment: WATCH_NAMESPACE (empty: all), POD_NAMESPACE and POD_NAME (the Lease's namespace and
 * this replica's identity), METRICS_PORT (default 8080), LOG_LEVEL.
 */
import { hostname } from 'node:os';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { PlatformController } from './controller.js';
import { startHealthServer } from './health-server.js';
import { LeaderElector } from './leadership.js';
import { OperatorMetrics } from './operator-metrics.js';

const log = pino({ name: 'pass-operator', level: process.env.LOG_LEVEL ?? 'info' });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();

const metrics = new OperatorMetrics();
const controller = new PlatformController({ kubeConfig, namespace: process.env.WATCH_NAMESPACE || undefined, metrics, log });
const elector = new LeaderElector({
  coordination: kubeConfig.makeApiClient(CoordinationV1Api),
  namespace: process.env.POD_NAMESPACE ?? 'default',
  name: 'pass-operator-leader',
  identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
  onStartedLeading: () => {
    log.info({}, 'leading: starting the controller');
    metrics.isLeader.set(1);
    controller.start().catch((err: unknown) => log.error({ err }, 'controller failed to start'));
  },
  onStoppedLeading: () => {
    log.warn({}, 'lost leadership: stopping the controller');
    metrics.isLeader.set(0);
    void controller.stop();
  },
  onError: (err) => log.warn({ err }, 'leader election request failed'),
});

const health = await startHealthServer(metrics.registry, () => !elector.isLeader || controller.synced, Number(process.env.METRICS_PORT ?? 8080));
log.info({ port: health.port, cluster: kubeConfig.getCurrentCluster()?.server }, 'pass-operator started');
elector.start();

async function shutdown(signal: string) {
  log.info({ signal }, 'shutting down');
  await controller.stop().catch((err: unknown) => log.error({ err }, 'controller stop failed'));
  await elector.stop().catch((err: unknown) => log.error({ err }, 'lease release failed'));
  await health.close().catch((err: unknown) => log.error({ err }, 'health server close failed'));
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
