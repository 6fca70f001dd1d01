/** Scenarios for the saturation alerts: database connections, memory, CPU and disk. */
import { METRIC } from '../../core/metric-names.js';
import type { RuleContext } from '../context.js';
import { NAMESPACE, counter, gauge, series, type AlertScenario, type InputSeries } from './series.js';

const POD = { namespace: NAMESPACE, pod: 'api-7d9f-0', component: 'api' };
const STEPS = 30;

/** A ratio comfortably above a "more than" threshold, and one comfortably below. */
const above = (threshold: number) => (1 + threshold) / 2;
const below = (threshold: number) => threshold / 2;

function pair(
  alert: string,
  build: (ratio: number) => InputSeries[],
  labels: Record<string, string>,
  firing: number,
  quiet: number,
): AlertScenario[] {
  return [
    { alert, name: `at ${firing} fires`, inputSeries: build(firing), evalTime: '30m', fires: [{ labels, value: firing }] },
    { alert, name: `at ${quiet} stays quiet`, inputSeries: build(quiet), evalTime: '30m', fires: [] },
  ];
}

export function resourceScenarios(ctx: RuleContext): AlertScenario[] {
  // CloudNativePG's metrics of one Postgres instance: backends by state, and its max_connections.
  const maxConnections = 200;
  const instance = { namespace: NAMESPACE, pod: 'main-db-1' };
  const backend = (state: string) => ({ ...instance, datname: 'app', usename: 'app', application_name: 'passplatform', state });
  const connections = (ratio: number): InputSeries[] => [
    { series: series(METRIC.cnpgBackends, backend('active')), values: gauge(ratio * maxConnections * 0.25, STEPS) },
    { series: series(METRIC.cnpgBackends, backend('idle')), values: gauge(ratio * maxConnections * 0.75, STEPS) },
    { series: series(METRIC.cnpgSetting, { ...instance, name: 'max_connections' }), values: gauge(maxConnections, STEPS) },
    // Other settings share the metric; only max_connections is the limit.
    { series: series(METRIC.cnpgSetting, { ...instance, name: 'shared_buffers' }), values: gauge(16_384, STEPS) },
  ];
  const memoryLimit = 1_000_000_000;
  const memory = (ratio: number): InputSeries[] => [
    { series: series(METRIC.processResidentMemory, POD), values: gauge(Math.round(ratio * memoryLimit), STEPS) },
    { series: series(METRIC.processMemoryLimit, POD), values: gauge(memoryLimit, STEPS) },
  ];
  const cpuLimit = 2;
  const cpu = (ratio: number): InputSeries[] => [
    { series: series(METRIC.processCpuSeconds, POD), values: counter({ perStep: ratio * cpuLimit * 60, steps: STEPS }) },
    { series: series(METRIC.processCpuLimit, POD), values: gauge(cpuLimit, STEPS) },
    // With a limit, the limit counts, not the (smaller) request.
    { series: series(METRIC.processCpuRequest, POD), values: gauge(cpuLimit / 4, STEPS) },
  ];
  // Without a limit (as the platform's pods run), the request is the allowance, never the node's cores.
  const cpuRequest = 0.5;
  const cpuAgainstRequest = (ratio: number): InputSeries[] => [
    { series: series(METRIC.processCpuSeconds, POD), values: counter({ perStep: ratio * cpuRequest * 60, steps: STEPS }) },
    // A process without a limit exports it as 0, as prom-client does.
    { series: series(METRIC.processCpuLimit, POD), values: gauge(0, STEPS) },
    { series: series(METRIC.processCpuRequest, POD), values: gauge(cpuRequest, STEPS) },
  ];
  const volumeSize = 100_000_000_000;
  const volume = { ...POD, pod: 'worker-uploads-0', component: 'worker-uploads', volume: 'uploads' };
  const disk = (freeRatio: number): InputSeries[] => [
    { series: series(METRIC.volumeFreeBytes, volume), values: gauge(Math.round(freeRatio * volumeSize), STEPS) },
    { series: series(METRIC.volumeSizeBytes, volume), values: gauge(volumeSize, STEPS) },
  ];
  // kubelet's stats of a PersistentVolumeClaim (Postgres here); the alert names it as the volume.
  const claim = { namespace: NAMESPACE, persistentvolumeclaim: 'main-db-1', node: 'node-a', job: 'kubelet' };
  const claimDisk = (freeRatio: number): InputSeries[] => [
    { series: series(METRIC.kubeletVolumeAvailable, claim), values: gauge(Math.round(freeRatio * volumeSize), STEPS) },
    { series: series(METRIC.kubeletVolumeCapacity, claim), values: gauge(volumeSize, STEPS) },
  ];
  const a = ctx.alerts;
  return [
    ...pair('DatabaseConnectionsCritical', connections, instance, above(a.criticalDbConnectionsRatio), below(a.criticalDbConnectionsRatio)),
    ...pair('DatabaseConnectionsWarning', connections, instance, above(a.warningDbConnectionsRatio), below(a.warningDbConnectionsRatio)),
    ...pair('MemoryUsageCritical', memory, POD, above(a.criticalMemoryRatio), below(a.criticalMemoryRatio)),
    ...pair('MemoryUsageWarning', memory, POD, above(a.warningMemoryRatio), below(a.warningMemoryRatio)),
    ...pair('CpuUsageHigh', cpu, POD, above(a.warningCpuRatio), below(a.warningCpuRatio)),
    ...pair('CpuUsageHigh', cpuAgainstRequest, POD, above(a.warningCpuRatio), below(a.warningCpuRatio)),
    // Disk alerts on too little free space: low ratios fire.
    ...pair('DiskSpaceLow', disk, volume, below(a.criticalDiskFreeRatio), above(a.criticalDiskFreeRatio)),
    ...pair(
      'DiskSpaceLow',
      claimDisk,
      { ...claim, volume: claim.persistentvolumeclaim },
      below(a.criticalDiskFreeRatio),
      above(a.criticalDiskFreeRatio),
    ),
  ];
}
