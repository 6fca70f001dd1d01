/**
 * What the scaled components' containers used, hour bin by hour bin, read from the platform's
 * Prometheus, which scrapes the kubelets' cAdvisor endpoint (`/metrics/cadvisor`, with
 * honor_labels, so `namespace`, `pod` and `container` are the container's own):
 * - CPU: `increase()` of `container_cpu_usage_seconds_total` over the bin, in core-seconds;
 * - memory: `container_memory_working_set_bytes` summed over the bin on a fixed grid
 *   (`sum_over_time` of a subquery at `resolutionSeconds`), times the grid step: GiB-hours in
 *   which a pod counts only while it existed.
 * Only the `app` container of the component's pods is read (not the pause container, nor the
 * pod-level cgroup series cAdvisor also exports with `container=""`). A bin Prometheus has no
 * samples for is left out: the report prices it by its requests.
 */
import type { MeasuredHour } from '../allocation.js';
import type { CostLine } from '../prices.js';
import { hourBins, type TimeRange } from '../usage.js';
import { HOUR_MS } from '../timeline.js';
import type { PrometheusClient } from '../../autoscaling/signals/prometheus-client.js';
import { componentPods } from '../../autoscaling/signals/queries.js';
import { METRIC } from '../../../core/metric-names.js';
import { COMPONENTS, type Component } from '../../../platform-api/v1alpha1/index.js';

/** The pod components, whose containers request vCPU and memory. */
const POD_LINES = COMPONENTS.filter((c): c is Extract<Component, 'api' | `worker-${string}`> => c === 'api' || c.startsWith('worker-'));

export interface ContainerUsageScope {
  namespace: string;
  /** The PassPlatform's name: its pods are `<name>-api-…`, `<name>-worker-<queue>-…`. */
  platform: string;
  /** Grid of the memory subquery, seconds (default 15: twice per kube-prometheus' 30 s kubelet scrape). */
  resolutionSeconds?: number;
}

const GIB = 1024 ** 3;

/** The PromQL of one line's CPU core-seconds and memory byte-samples over the `windowMs` before the evaluation time. */
export function containerUsageQueries(scope: ContainerUsageScope, line: (typeof POD_LINES)[number], windowMs: number) {
  const selector = `{namespace="${scope.namespace}", ${componentPods(scope.platform, line)}, container="app"}`;
  const window = `${Math.round(windowMs)}ms`;
  return {
    cpuSeconds: `sum(increase(${METRIC.containerCpuUsage}${selector}[${window}]))`,
    memoryByteSamples: `sum(sum_over_time(${METRIC.containerMemoryWorkingSet}${selector}[${window}:${scope.resolutionSeconds ?? 15}s]))`,
  };
}

/** Measured usage of every pod line in every hour bin of `range` (bins as the report's hours). */
export async function measureContainerUsage(
  client: PrometheusClient,
  scope: ContainerUsageScope,
  range: TimeRange,
): Promise<Partial<Record<CostLine, MeasuredHour[]>>> {
  const bins = hourBins(range);
  const whole = bins.filter((bin) => bin.to - bin.from === HOUR_MS);
  const partial = bins.filter((bin) => bin.to - bin.from !== HOUR_MS);
  const resolution = scope.resolutionSeconds ?? 15;
  const result: Partial<Record<CostLine, MeasuredHour[]>> = {};
  await Promise.all(
    POD_LINES.map(async (line) => {
      const measured = new Map<number, { cpu?: number; memory?: number }>();
      const note = (binEnd: number, kind: 'cpu' | 'memory', value: number) => {
        const bin = bins.find((b) => b.to === binEnd);
        if (bin && Number.isFinite(value)) measured.set(bin.from, { ...measured.get(bin.from), [kind]: value });
      };
      const first = whole[0];
      const last = whole[whole.length - 1];
      if (first && last) {
        // Whole hours are contiguous: one range query per figure, evaluated at each hour's end.
        const queries = containerUsageQueries(scope, line, HOUR_MS);
        const [cpu, memory] = await Promise.all([
          client.queryRange(queries.cpuSeconds, new Date(first.to), new Date(last.to), HOUR_MS / 1000),
          client.queryRange(queries.memoryByteSamples, new Date(first.to), new Date(last.to), HOUR_MS / 1000),
        ]);
        for (const point of cpu[0]?.points ?? []) note(point.time * 1000, 'cpu', point.value);
        for (const point of memory[0]?.points ?? []) note(point.time * 1000, 'memory', point.value);
      }
      for (const bin of partial) {
        const queries = containerUsageQueries(scope, line, bin.to - bin.from);
        const [[cpu], [memory]] = await Promise.all([
          client.query(queries.cpuSeconds, new Date(bin.to)),
          client.query(queries.memoryByteSamples, new Date(bin.to)),
        ]);
        if (cpu) note(bin.to, 'cpu', cpu.value);
        if (memory) note(bin.to, 'memory', memory.value);
      }
      const hours: MeasuredHour[] = [];
      for (const [from, { cpu, memory }] of measured) {
        if (cpu === undefined || memory === undefined) continue;
        hours.push({ from, vcpuHours: cpu / 3600, gibHours: (memory * resolution) / GIB / 3600 });
      }
      if (hours.length > 0) result[line] = hours.sort((a, b) => a.from - b.from);
    }),
  );
  return result;
}
