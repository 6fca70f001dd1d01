/**
 * Starts the operator from an environment: kube config (kubeconfig or in-cluster), the HTTP server
 * (/metrics, /healthz, /readyz, /cost; the metrics and reports behind the cluster's RBAC, see
 * delegated-access.ts), leader election on a Lease, and the operator (controller,
 * autoscaling loop, cost tracking), which runs only while this replica leads.
 *
 * `stop()` drains like the API: readiness turns 503 first, the controller finishes the reconcile in
 * flight, the Lease is released so a follower takes over at once, then the server closes. A grace
 * limit (SHUTDOWN_GRACE_MS) bounds the wait.
 */
import { hostname } from 'node:os';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../core/logger.js';
import { loadOperatorConfig } from '../core/operator-config.js';
import { OPERATOR_PROBES, startProbeServer } from '../core/probe-server.js';
import { drainWithin } from '../core/service.js';
import { DelegatedAccess, delegatedAccessMiddleware, kubernetesAccessReviews } from './delegated-access.js';
import { LeaderElector } from './controller/leadership.js';
import { PassOperator } from './operator.js';

export async function startOperator(env: NodeJS.ProcessEnv = process.env) {
  const config = loadOperatorConfig(env);
  const log = createLogger('pass-operator', config.LOG_LEVEL);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();

  const operator = new PassOperator({
    kubeConfig,
    namespace: config.WATCH_NAMESPACE,
    signalWindow: config.SIGNAL_WINDOW,
    log,
    monitoringDefaults: { runbookBaseUrl: config.DEFAULT_RUNBOOK_BASE_URL, ruleLabels: config.DEFAULT_RULE_LABELS },
  });
  const { metrics } = operator;
  const elector = new LeaderElector({
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    namespace: config.POD_NAMESPACE,
    name: 'pass-operator-leader',
    identity: config.POD_NAME ?? `${hostname()}-${process.pid}`,
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

  const access =
    config.METRICS_AUTHORIZATION === 'kubernetes'
      ? delegatedAccessMiddleware(new DelegatedAccess(kubernetesAccessReviews(kubeConfig)), log)
      : undefined;
  if (!access) log.warn({}, 'METRICS_AUTHORIZATION=none: anyone who reaches the port may read /metrics and /cost');

  let draining = false;
  const health = await startProbeServer({
    registry: metrics.registry,
    logger: log,
    paths: OPERATOR_PROBES,
    ready: () => !draining && (!elector.isLeader || operator.synced),
    port: config.METRICS_PORT,
    routers: operator.routers(),
    access,
  });
  log.info({ port: health.port, cluster: kubeConfig.getCurrentCluster()?.server }, 'pass-operator started');
  elector.start();

  async function drain(): Promise<void> {
    await operator.stop().catch((err: unknown) => log.error({ err }, 'operator stop failed'));
    await elector.stop().catch((err: unknown) => log.error({ err }, 'lease release failed'));
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    draining = true;
    if (!(await drainWithin(drain(), config.SHUTDOWN_GRACE_MS)))
      log.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'still stopping at the end of the grace period');
    await health.close().catch((err: unknown) => log.error({ err }, 'health server close failed'));
  }

  return { port: health.port, logger: log, stop: () => (stopping ??= stop()) };
}
