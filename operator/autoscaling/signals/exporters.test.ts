/**
 * Every signal query against a real Prometheus (the Debian `prometheus` binary) scraping what a
 * cluster exports, each target labelled as a Kubernetes scrape labels it (`namespace`, `pod`):
 * - the API and two worker pods: the project's own registries (histogram, BullMQ gauges read from a
 *   real queue on the test Redis), so both worker pods report the same queue-wide counts;
 * - the kubelet's cAdvisor: `container_cpu_usage_seconds_total` per container, stamped with sample
 *   times, with the pod-level (`container=""`) and pause (`POD`) series cAdvisor adds;
 * - three CloudNativePG instances (one primary, two replicas, one of them behind and not streaming),
 *   with the `cnpg_*` names CloudNativePG's default-monitoring queries produce;
 * - four Redis nodes (two shard primaries, two replicas) with redis_exporter's names and labels.
 * Counters grow with time at known rates, so every figure collect.ts returns has a known answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import { createRegistry } from '../../../core/metrics.js';
import { RouteDurationHistogram } from '../../../core/route-duration-histogram.js';
import { bullPrefix } from '../../../core/queues.js';
import { eventually } from '../../../testing/eventually.js';
import { family, line, startExpositionTarget, type ExpositionTarget, type Labels } from '../../../testing/exposition-target.js';
import { startPrometheus, type ScrapeTarget, type TestPrometheus } from '../../../testing/prometheus.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../../testing/redis.js';
import { registerQueueMetrics, type JobMetrics } from '../../../workers/metrics.js';
import { autoscale, initialAutoscalerState } from '../../autoscaler/autoscaler.js';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../../platform-api/v1alpha1/index.js';
import { collectSignals, type CollectedSignals } from './collect.js';
import { PrometheusClient } from './prometheus-client.js';
import type { SignalScope } from './queries.js';

const NAMESPACE = 'campus';
const scope: SignalScope = { matchers: `namespace="${NAMESPACE}"`, window: '10s', platform: 'campus' };
const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const started = Date.now();
/** A counter's value now for a constant `perSecond` since the test started. */
const counter = (perSecond: number) => ((Date.now() - started) / 1000) * perSecond;

/** Calls `event` `perSecond` times per second of wall time, catching up after a late timer (the machine is busy). */
function atRate(perSecond: number, event: () => void): NodeJS.Timeout {
  let done = 0;
  return setInterval(() => {
    for (; done < counter(perSecond); done++) event();
  }, 100);
}

const API_POD = 'campus-api-7d9f8b6c5-x2k9q';
const UPLOAD_PODS = ['campus-worker-uploads-5b7c9d8f6-4hj2k', 'campus-worker-uploads-5b7c9d8f6-9qw7z'];
/** Another platform in the same namespace: its series must not leak into campus' signals. */
const OTHER_API_POD = 'campus2-api-6c8d7e9f5-p3r8t';

interface Instance {
  pod: string;
  cpuCores: number;
  inRecovery: 0 | 1;
  walReceiverUp: 0 | 1;
  lagSeconds: number;
  xactPerSecond: number;
  backends: number;
}
const INSTANCES: Instance[] = [
  { pod: 'campus-db-1', cpuCores: 1.5, inRecovery: 0, walReceiverUp: 0, lagSeconds: 0, xactPerSecond: 300, backends: 40 },
  { pod: 'campus-db-2', cpuCores: 0.6, inRecovery: 1, walReceiverUp: 1, lagSeconds: 0.5, xactPerSecond: 200, backends: 80 },
  { pod: 'campus-db-3', cpuCores: 0.4, inRecovery: 1, walReceiverUp: 0, lagSeconds: 12, xactPerSecond: 100, backends: 10 },
];
const MAX_CONNECTIONS = 100;

interface RedisNode {
  pod: string;
  role: 'master' | 'slave';
  usedBytes: number;
  commandsPerSecond: number;
}
const MIB = 2 ** 20;
const REDIS_NODES: RedisNode[] = [
  { pod: 'campus-redis-0', role: 'master', usedBytes: 100 * MIB, commandsPerSecond: 2000 },
  { pod: 'campus-redis-1', role: 'slave', usedBytes: 100 * MIB, commandsPerSecond: 2000 },
  { pod: 'campus-redis-2', role: 'master', usedBytes: 50 * MIB, commandsPerSecond: 1000 },
  { pod: 'campus-redis-3', role: 'slave', usedBytes: 50 * MIB, commandsPerSecond: 1000 },
];
const REDIS_MAXMEMORY = 512 * MIB;
const API_CORES = 0.4;

/** The kubelet's /metrics/cadvisor for the pods above: per container, per pod cgroup, and the pause container. */
function cadvisor(): string {
  const now = Date.now();
  const series = (pod: string, container: string, cores: number): string =>
    line(
      'container_cpu_usage_seconds_total',
      {
        container,
        cpu: 'total',
        id: `/kubepods/burstable/pod-${pod}${container ? `/${container}` : ''}`,
        image: container === 'app' ? 'passplatform/app:1.0' : container === 'postgres' ? 'ghcr.io/cloudnative-pg/postgresql:17' : '',
        name: container,
        namespace: NAMESPACE,
        pod,
      },
      counter(cores),
      now,
    );
  const pods: [string, string, number][] = [
    [API_POD, 'app', API_CORES],
    [OTHER_API_POD, 'app', 3],
    ...INSTANCES.map((i): [string, string, number] => [i.pod, 'postgres', i.cpuCores]),
  ];
  return family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', [
    ...pods.map(([pod, container, cores]) => series(pod, container, cores)),
    // The pod cgroup holds every container: counting it too would double the CPU.
    ...pods.map(([pod, , cores]) => series(pod, '', cores * 1.05)),
    ...pods.map(([pod]) => series(pod, 'POD', 0.001)),
  ]);
}

/** One CloudNativePG instance's exporter (port `metrics`, 9187). */
function cnpgInstance(instance: Instance): string {
  const backend = (state: string, total: number): string =>
    line('cnpg_backends_total', { datname: 'app', usename: 'app', application_name: 'passplatform-api', state }, total);
  return [
    family('cnpg_collector_up', 'gauge', '1 if PostgreSQL is up, 0 otherwise.', [line('cnpg_collector_up', { cluster: 'campus-db' }, 1)]),
    family('cnpg_pg_replication_lag', 'gauge', 'Replication lag behind primary in seconds', [
      line('cnpg_pg_replication_lag', {}, instance.lagSeconds),
    ]),
    family('cnpg_pg_replication_in_recovery', 'gauge', 'Whether the instance is in recovery', [
      line('cnpg_pg_replication_in_recovery', {}, instance.inRecovery),
    ]),
    family('cnpg_pg_replication_is_wal_receiver_up', 'gauge', 'Whether the instance wal_receiver is up', [
      line('cnpg_pg_replication_is_wal_receiver_up', {}, instance.walReceiverUp),
    ]),
    family('cnpg_pg_replication_streaming_replicas', 'gauge', 'Number of streaming replicas connected to the instance', [
      line('cnpg_pg_replication_streaming_replicas', {}, instance.inRecovery ? 0 : 1),
    ]),
    family('cnpg_backends_total', 'gauge', 'Number of backends', [
      backend('active', Math.round(instance.backends / 4)),
      backend('idle', instance.backends - Math.round(instance.backends / 4)),
    ]),
    family('cnpg_pg_settings_setting', 'gauge', 'Setting value', [
      line('cnpg_pg_settings_setting', { name: 'max_connections' }, MAX_CONNECTIONS),
      line('cnpg_pg_settings_setting', { name: 'max_wal_senders' }, 10),
    ]),
    family('cnpg_pg_stat_database_xact_commit', 'counter', 'Number of transactions in this database that have been committed', [
      line('cnpg_pg_stat_database_xact_commit', { datname: 'app' }, counter(instance.xactPerSecond)),
      line('cnpg_pg_stat_database_xact_commit', { datname: 'postgres' }, counter(1)),
    ]),
    family('cnpg_pg_stat_database_xact_rollback', 'counter', 'Number of transactions in this database that have been rolled back', [
      line('cnpg_pg_stat_database_xact_rollback', { datname: 'app' }, 0),
      line('cnpg_pg_stat_database_xact_rollback', { datname: 'postgres' }, 0),
    ]),
  ].join('\n');
}

/** redis_exporter beside one Redis node. */
function redisExporter(node: RedisNode): string {
  return [
    family('redis_up', 'gauge', 'Information about the Redis instance', [line('redis_up', {}, 1)]),
    family('redis_instance_info', 'gauge', 'Information about the Redis instance', [
      line(
        'redis_instance_info',
        {
          executable: '/usr/local/bin/redis-server',
          os: 'Linux 6.8.0 x86_64',
          process_id: '1',
          redis_build_id: 'c9d9d7bd4f3a2e11',
          redis_mode: 'cluster',
          redis_version: '7.2.4',
          role: node.role,
          run_id: `run-${node.pod}`,
          tcp_port: '6379',
        },
        1,
      ),
    ]),
    family('redis_memory_used_bytes', 'gauge', 'memory_used_bytes metric', [line('redis_memory_used_bytes', {}, node.usedBytes)]),
    family('redis_memory_max_bytes', 'gauge', 'memory_max_bytes metric', [line('redis_memory_max_bytes', {}, REDIS_MAXMEMORY)]),
    family('redis_commands_processed_total', 'counter', 'commands_processed_total metric', [
      line('redis_commands_processed_total', {}, counter(node.commandsPerSecond)),
    ]),
  ].join('\n');
}

const near = (actual: number | undefined, expected: number, tolerance: number, what: string) =>
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= tolerance * expected,
    `${what}: ${actual} (expected ${expected} ± ${tolerance * 100} %)`,
  );

describe('signals from the exporters a cluster has, through a real Prometheus', () => {
  const targets: ExpositionTarget[] = [];
  const timers: NodeJS.Timeout[] = [];
  const redis = testRedisPrefix('exporters');
  let queue: Queue;
  let prometheus: TestPrometheus;
  let client: PrometheusClient;
  let scrapingSince = Infinity;
  const WAITING_JOBS = 6;

  before(async () => {
    const scrape: ScrapeTarget[] = [];
    const serve = async (job: string, body: () => string | Promise<string>, labels: Labels) => {
      const target = await startExpositionTarget(body);
      targets.push(target);
      // One scrape config per target, and Prometheus wants their job names unique.
      scrape.push({ job: `${job}-${scrape.length}`, address: target.address, labels });
    };
    const registryTarget = (registry: Registry) => () => registry.metrics();

    // The API pod: its own histogram, 20 requests/s of student queries.
    const apiRegistry = createRegistry('api');
    const searches = new RouteDurationHistogram(apiRegistry).seriesOf('GET', '/students/search', 200, 'student_queries');
    timers.push(atRate(20, () => searches.observe(0.04)));
    await serve('api', registryTarget(apiRegistry), { namespace: NAMESPACE, pod: API_POD });

    // Two worker pods of the uploads queue over one real BullMQ queue; one of them finishes 2 jobs/s.
    const connection = { url: TEST_REDIS_URL, maxRetriesPerRequest: null };
    queue = new Queue('uploads', { connection, prefix: bullPrefix(redis.prefix) });
    await queue.addBulk(Array.from({ length: WAITING_JOBS }, (_, i) => ({ name: 'process', data: { i } })));
    const jobMetrics: JobMetrics[] = [];
    for (const pod of UPLOAD_PODS) {
      const registry = createRegistry('workers');
      jobMetrics.push(registerQueueMetrics(registry, [queue]));
      await serve('workers', registryTarget(registry), { namespace: NAMESPACE, pod });
    }
    timers.push(atRate(2, () => jobMetrics[0]?.observe('uploads', 'completed', 0.5)));

    // cAdvisor's series carry their own namespace and pod (the kubelet is scraped with honor_labels).
    await serve('kubelet', cadvisor, {});
    for (const instance of INSTANCES)
      await serve(`${NAMESPACE}/campus-db`, () => cnpgInstance(instance), {
        namespace: NAMESPACE,
        pod: instance.pod,
        container: 'postgres',
        endpoint: 'metrics',
      });
    for (const node of REDIS_NODES)
      await serve('redis', () => redisExporter(node), { namespace: NAMESPACE, pod: node.pod, container: 'redis-exporter' });

    prometheus = await startPrometheus(scrape);
    scrapingSince = Date.now();
    client = new PrometheusClient(prometheus.url, 10_000);
  });

  after(async () => {
    for (const timer of timers) clearInterval(timer);
    await prometheus?.stop();
    await Promise.all(targets.map((t) => t.close()));
    await queue?.close();
    await redis.cleanup();
  });

  /** Collects until every rate has a full window of samples behind it. */
  const collectSettled = (): Promise<CollectedSignals> =>
    eventually(
      async () => {
        const c = await collectSignals(client, scope, new Date());
        const s = c.signals;
        const complete =
          s.api?.cpuCores !== undefined &&
          s.api.requestRate?.student_queries !== undefined &&
          s.queues?.uploads?.completionRate !== undefined &&
          s.postgres?.replicaCpuCores !== undefined &&
          s.postgres.readQps !== undefined &&
          s.redis?.opsPerSecond !== undefined &&
          // Two full rate() windows of scrapes behind every rate.
          Date.now() - scrapingSince > 20_000;
        return complete ? c : undefined;
      },
      'every signal read',
      120_000,
    );

  it('answers every query without an error, each signal from its exporter and counted once', async () => {
    const { signals, errors, queried } = await collectSettled();
    assert.deepEqual(
      errors.map((e) => `${e.message}: ${e.query}`),
      [],
    );
    assert.ok(queried > 20);
    assert.equal(signals.windowSeconds, 10, 'the window the rates and quantiles cover');

    // API CPU from cAdvisor: the app container only (not the pod cgroup, not the pause container, not campus2).
    near(signals.api?.cpuCores, API_CORES, 0.15, 'API cores');
    near(signals.api?.requestRate?.student_queries, 20, 0.25, 'student query rate');
    assert.equal(signals.api?.readyPods, 1);

    // Two pods export the same queue-wide count: taken once.
    const uploads = signals.queues?.uploads;
    assert.equal(uploads?.waiting, WAITING_JOBS);
    assert.equal(uploads?.readyPods, 2);
    near(uploads?.completionRate, 2, 0.3, 'uploads completions/s');
    assert.equal(signals.queues?.reports, undefined, 'no reports worker exports, so no reports signals');

    // Replicas are the instances in recovery; the primary's CPU and transactions are not read load.
    const pg = signals.postgres;
    near(pg?.replicaCpuCores, 1.0, 0.15, 'replica cores');
    near(pg?.readQps, 300, 0.15, 'replica transactions/s');
    assert.equal(pg?.maxReplicaLagSeconds, 12);
    assert.equal(pg?.readyReplicas, 1, 'campus-db-3 is not streaming');
    assert.equal(pg?.connectionUseRatio, 0.8, 'the busiest instance: 80 of 100 connections');

    // Shards are primaries; memory and commands of replicas repeat their primary's.
    const r = signals.redis;
    assert.equal(r?.readyShards, 2);
    assert.equal(r?.totalMemoryBytes, 150 * MIB);
    assert.equal(r?.maxShardMemoryBytes, 100 * MIB);
    assert.equal(r?.shardMaxMemoryBytes, REDIS_MAXMEMORY);
    near(r?.opsPerSecond, 3000, 0.15, 'primary commands/s');

    // Sample times, not the query time.
    for (const source of ['api', 'queues', 'postgres', 'redis'] as const) {
      const at = signals.sampledAt?.[source];
      assert.ok(at !== undefined && at <= Date.now() && Date.now() - at < 30_000, `${source} sampled at ${at}`);
    }
  });

  it("gates the API's headroom on the replicas' scraped CPU over their streaming instances", async () => {
    const { signals } = await collectSettled();
    /** The API's decision from one run of the policy on these signals, the replicas `cpu` cores each. */
    const apiDecision = (cpu: string) => {
      const managed = spec.database.managed;
      assert.ok(managed);
      const withCores: PassPlatformSpec = {
        ...spec,
        database: { ...spec.database, managed: { ...managed, resources: { ...managed.resources, cpu } } },
      };
      const result = autoscale(withCores, initialAutoscalerState({ api: 1 }), signals, signals.observedAt);
      const decision = result.decisions.find((d) => d.component === 'api');
      assert.ok(decision, `an API decision: ${JSON.stringify(result.decisions)}`);
      return decision;
    };
    // 1.0 core of reads over the one streaming replica (campus-db-3 is not streaming): on 1-core
    // replicas 100 %, on 1.5-core ones 67 %, both past their 45 % at the default knob; on 4-core
    // ones 25 %, under it. Counted over both replicas the 1.5-core case would read 33 % and get
    // headroom: it must not.
    const busy = /no headroom: read replicas at ([\d.]+) % ≥ their 45 %/;
    const hot = apiDecision('1');
    assert.match(hot.reason, busy);
    const over = Number(apiDecision('1.5').reason.match(busy)?.[1]);
    assert.ok(over > 45 && over < 90, `the 1.5-core replicas read ${over} % busy`);
    const idle = apiDecision('4');
    assert.match(idle.reason, /headroom ⌈1 × √\d+⌉ on the queue's \d+ → \d+ pods/);
    assert.ok(idle.to > hot.to, `with headroom ${idle.to} pods, without ${hot.to}`);
  });

  it('ages the signals when Prometheus stops scraping: read two minutes on, they are stale and the policy holds', async () => {
    const { signals } = await collectSettled();
    const later = Date.now() + 120_000;
    // Two minutes on, Prometheus still answers gauges from the last scrape (its 5-minute lookback).
    const aged = await collectSignals(client, scope, new Date(later));
    assert.equal(aged.signals.queues?.uploads?.waiting, WAITING_JOBS, 'the last scraped queue depth is still returned');
    assert.ok(later - aged.signals.observedAt >= 110_000, `observed at ${later - aged.signals.observedAt} ms before the query`);

    const state = autoscale(spec, initialAutoscalerState({ api: 3, 'worker-uploads': 1 }), signals, signals.observedAt).state;
    const result = autoscale(spec, state, aged.signals, later);
    assert.equal(result.replicas.api, state.components.api?.replicas);
    assert.equal(result.replicas['worker-uploads'], state.components['worker-uploads']?.replicas);
  });
});
