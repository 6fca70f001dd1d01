/** Scenarios for the saturation alerts: database pools, memory, CPU and disk. */
import { METRIC } from '../../core/metric-names.js';
import type { RuleContext } from '../context.js';
import { NAMESPACE, counter, gauge, series, type AlertScenario, type InputSeries } from './series.js';

const POD = { namespace: NAMESPACE, pod: 'api-7d9f-0', component: 'api' };
const STEPS = 30;

/** A ratio comfortably above a "more than" threshold, and one comfortably below. */
const above = (threshold: number) => (1 + threshold) / 2;
const below = (threshold: number) => threshold / 2;

function pair(alert: string, build: (ratio: number) => InputSeries[], labels: Record<string, string>, firing: number, quiet: number): AlertScenario[] {
  return [
    { alert, name: `at ${firing} fires`, inputSeries: build(firing), evalTime: '30m', fires: [{ labels, value: firing }] },
    { alert, name: `at ${quiet} stays quiet`, inputSeries: build(quiet), evalTime: '30m', fires: [] },
  ];
}

export function resourceScenarios(ctx: RuleContext): AlertScenario[] {
  const poolMax = 20;
  const pool = { ...POD, pool: 'primary' };
  const connections = (ratio: number): InputSeries[] => [
    { series: series(METRIC.dbPoolConnections, { ...pool, state: 'used' }), values: gauge(ratio * poolMax, STEPS) },
    // Idle and waiting connections are not "in use"; they must not add to the ratio.
    { series: series(METRIC.dbPoolConnections, { ...pool, state: 'idle' }), values: gauge(poolMax * (1 - ratio), STEPS) },
    { series: series(METRIC.dbPoolConnections, { ...pool, state: 'waiting' }), values: gauge(poolMax, STEPS) },
    { series: series(METRIC.dbPoolMax, pool), values: gauge(poolMax, STEPS) },
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
  ];
  const volumeSize = 100_000_000_000;
  const volume = { ...POD, pod: 'worker-uploads-0', component: 'worker-uploads', volume: 'uploads' };
  const disk = (freeRatio: number): InputSeries[] => [
    { series: series(METRIC.volumeFreeBytes, volume), values: gauge(Math.round(freeRatio * volumeSize), STEPS) },
    { series: series(METRIC.volumeSizeBytes, volume), values: gauge(volumeSize, STEPS) },
  ];
  const a = ctx.alerts;
  return [
    ...pair('DatabaseConnectionsCritical', connections, pool, above(a.criticalDbConnectionsRatio), below(a.criticalDbConnectionsRatio)),
    ...pair('DatabaseConnectionsWarning', connections, pool, above(a.warningDbConnectionsRatio), below(a.warningDbConnectionsRatio)),
    ...pair('MemoryUsageCritical', memory, POD, above(a.criticalMemoryRatio), below(a.criticalMemoryRatio)),
    ...pair('MemoryUsageWarning', memory, POD, above(a.warningMemoryRatio), below(a.warningMemoryRatio)),
    ...pair('CpuUsageHigh', cpu, POD, above(a.warningCpuRatio), below(a.warningCpuRatio)),
    // Disk alerts on too little free space: low ratios fire.
    ...pair('DiskSpaceLow', disk, volume, below(a.criticalDiskFreeRatio), above(a.criticalDiskFreeRatio)),
  ];
}
