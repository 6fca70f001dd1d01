/**
 * A platform under load as its Prometheus sees it, for tests of the operator's autoscaling on a
 * cluster where the pods cannot really serve (kwok runs no containers): a real Prometheus scrapes
 * targets that publish what the platform's exporters publish under load, with the labels a
 * Kubernetes scrape gives them (`namespace`, `pod`):
 * - each API pod: the project's own registry (`createRegistry('api')`: default process metrics and
 *   the HTTP histogram), its requests observed at a steady rate;
 * - the kubelet's cAdvisor: `container_cpu_usage_seconds_total` per container, growing at the
 *   cores each pod burns;
 * - CloudNativePG's exporter on each instance: `cnpg_pg_replication_*` (which instance is a replica,
 *   streaming, how far behind).
 * Counters grow with wall time at the given rates, so rate() over them reads those rates.
 */
import { createRegistry } from '../core/metrics.js';
import { RouteDurationHistogram } from '../core/route-duration-histogram.js';
import { METRIC } from '../core/metric-names.js';
import type { SlaClass } from '../core/sla.js';
import { PrometheusClient } from '../operator/autoscaling/signals/prometheus-client.js';
import { eventually } from './eventually.js';
import { family, line, startExpositionTarget, type ExpositionTarget } from './exposition-target.js';
import { startPrometheus, type ScrapeTarget, type TestPrometheus } from './prometheus.js';

export interface BusyApiPod {
  pod: string;
  requestsPerSecond: number;
  /** Every request takes this long (seconds): the histogram's p95 lands in its bucket. */
  latencySeconds: number;
  slaClass: SlaClass;
  /** CPU the pod's `app` container burns, cores. */
  cores: number;
}

export interface BusyDatabaseInstance {
  /** CloudNativePG's pod name: `<cluster>-<n>`. */
  pod: string;
  replica: boolean;
  /** CPU the `postgres` container burns, cores. */
  cores: number;
}

export interface BusyPlatform {
  namespace: string;
  api: BusyApiPod[];
  database: BusyDatabaseInstance[];
}

export interface BusyPlatformSignals {
  prometheus: TestPrometheus;
  /**
   * Resolves once rate() over `window` (a Prometheus duration) reads the load as configured. Until
   * a whole window has been scraped, rate() reads a fraction of it, rising run by run: a ramp the
   * autoscaler rightly extrapolates (its trend forecast), which is not the steady load a test means.
   */
  windowFilled(window: string, deadlineMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Within this fraction counts as reading the configured rate (scrapes are not exactly on time). */
const RATE_TOLERANCE = 0.03;

export async function startBusyPlatformSignals(platform: BusyPlatform): Promise<BusyPlatformSignals> {
  const started = Date.now();
  /** A counter growing at `perSecond` since the start. */
  const grown = (perSecond: number) => ((Date.now() - started) / 1000) * perSecond;
  const targets: ExpositionTarget[] = [];
  const scrape: ScrapeTarget[] = [];
  const timers: NodeJS.Timeout[] = [];
  const serve = async (job: string, body: () => string | Promise<string>, labels?: Record<string, string>) => {
    const target = await startExpositionTarget(body);
    targets.push(target);
    // Job names must be unique in a Prometheus config.
    scrape.push({ job: `${job}-${scrape.length}`, address: target.address, ...(labels ? { labels } : {}) });
  };
  const stopTargets = async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.all(targets.map((t) => t.close()));
  };

  try {
    for (const pod of platform.api) {
      const registry = createRegistry('api');
      const logins = new RouteDurationHistogram(registry).seriesOf('POST', '/auth/login', 200, pod.slaClass);
      let observed = 0;
      // Catches up after a late timer: the machine is busy, the rate must not depend on it.
      timers.push(
        setInterval(() => {
          for (; observed < grown(pod.requestsPerSecond); observed++) logins.observe(pod.latencySeconds);
        }, 100),
      );
      await serve('api', () => registry.metrics(), { namespace: platform.namespace, pod: pod.pod });
    }

    const cpu = [
      ...platform.api.map((p) => ({ pod: p.pod, container: 'app', cores: p.cores })),
      ...platform.database.map((i) => ({ pod: i.pod, container: 'postgres', cores: i.cores })),
    ];
    // cAdvisor's series carry their own namespace and pod (the kubelet is scraped with honor_labels).
    await serve('kubelet', () =>
      family(
        METRIC.containerCpuUsage,
        'counter',
        'Cumulative cpu time consumed in seconds.',
        cpu.map((c) =>
          line(
            METRIC.containerCpuUsage,
            { container: c.container, cpu: 'total', namespace: platform.namespace, pod: c.pod },
            grown(c.cores),
          ),
        ),
      ),
    );

    for (const instance of platform.database) {
      const gauge = (name: string, help: string, value: number) => family(name, 'gauge', help, [line(name, {}, value)]);
      const recovery = instance.replica ? 1 : 0;
      await serve(
        'cnpg',
        () =>
          [
            gauge(METRIC.cnpgInRecovery, 'Whether the instance is in recovery', recovery),
            gauge(METRIC.cnpgWalReceiverUp, 'Whether the instance wal_receiver is up', recovery),
            gauge(METRIC.cnpgReplicationLag, 'Replication lag behind primary in seconds', 0),
          ].join('\n'),
        { namespace: platform.namespace, pod: instance.pod },
      );
    }
    const prometheus = await startPrometheus(scrape);
    const client = new PrometheusClient(prometheus.url);
    const namespace = `namespace="${platform.namespace}"`;
    const expected = [
      { metric: METRIC.containerCpuUsage, total: cpu.reduce((sum, c) => sum + c.cores, 0) },
      { metric: `${METRIC.httpServerDuration}_count`, total: platform.api.reduce((sum, p) => sum + p.requestsPerSecond, 0) },
    ];
    return {
      prometheus,
      windowFilled: async (window, deadlineMs) => {
        await eventually(
          async () => {
            for (const { metric, total } of expected) {
              const read = (await client.query(`sum(rate(${metric}{${namespace}}[${window}]))`))[0]?.value;
              if (read === undefined || Math.abs(read - total) > RATE_TOLERANCE * total) return false;
            }
            return true;
          },
          `rate() over ${window} reading the configured load`,
          deadlineMs,
        );
      },
      stop: async () => {
        await prometheus.stop();
        await stopTargets();
      },
    };
  } catch (error) {
    await stopTargets();
    throw error;
  }
}
