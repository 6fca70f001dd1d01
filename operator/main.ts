/**
 * `npm run operator`: the PassPlatform operator. Wiring only — kube config (kubeconfig or
 * in-cluster), the HTTP server (/metrics, /healthz, /readyz, /cost), leader election on a Lease,
 * and the operator (controller, autoscaling loop, cost tracking), which runs only while this
 * replica leads.
 *
 * Environment: WATCH_NAMESPACE (empty: all), POD_NAMESPACE and POD_NAME (the Lease's namespace and
 * this replica's identity), METRICS_PORT (default 8080), SIGNAL_WINDOW (the autoscaler's rate()
 * window, default 1m: four of the ServiceMonitor's 15 s scrapes), LOG_LEVEL.
 */
import { hostname } from 'node:os';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startHealthServer } from './health-server.js';
import { LeaderElector } from './leadership.js';
import { PassOperator } from './operator.js';

const log = pino({ name: 'pass-operator', level: process.env.LOG_LEVEL ?? 'info' });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();

const operator = new PassOperator({ kubeConfig, namespace: process.env.WATCH_NAMESPACE || undefined, signalWindow: process.env.SIGNAL_WINDOW || undefined, log });
const { metrics } = operator;
const elector = new LeaderElector({
  coordination: kubeConfig.makeApiClient(CoordinationV1Api),
  namespace: process.env.POD_NAMESPACE ?? 'default',
  name: 'pass-operator-leader',
  identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
  onStartedLeading: () => {
    log.info({}, 'leading: starting the controller, autoscaling and cost tracking');
    metrics.isLeader.set(1);
    operator.start().catch((err: unknown) => log.error({ err }, 'operator failed to start'));
  },
  onStoppedLeading: () => {
    log.warn({}, 'lost leadership: stopping');
    metrics.isLeader.set(0);
    void operator.stop();
  },
  onError: (err) => log.warn({ err }, 'leader election request failed'),
});

const health = await startHealthServer({
  registry: metrics.registry,
  ready: () => !elector.isLeader || operator.synced,
  port: Number(process.env.METRICS_PORT ?? 8080),
  routers: operator.routers(),
});
log.info({ port: health.port, cluster: kubeConfig.getCurrentCluster()?.server }, 'pass-operator started');
elector.start();

async function shutdown(signal: string) {
  log.info({ signal }, 'shutting down');
  await operator.stop().catch((err: unknown) => log.error({ err }, 'operator stop failed'));
  await elector.stop().catch((err: unknown) => log.error({ err }, 'lease release failed'));
  await health.close().catch((err: unknown) => log.error({ err }, 'health server close failed'));
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
