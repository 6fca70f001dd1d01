/**
 * The limits a process is judged against, exported beside prom-client's usage metrics so alerts
 * can divide one by the other: the container's memory and CPU limits read from the cgroup (v2 or
 * v1), or the machine's when the container has none — then the machine is the limit.
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from './metric-names.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Memory limit in bytes: cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`, else total memory. */
export function memoryLimitBytes(): number {
  const machine = totalmem();
  const v2 = read('/sys/fs/cgroup/memory.max');
  if (v2 && v2 !== 'max') return Math.min(Number(v2), machine);
  const v1 = read('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  // v1 reports "no limit" as a huge page-aligned number; the machine bounds it.
  if (v1 && Number.isFinite(Number(v1))) return Math.min(Number(v1), machine);
  return machine;
}

/** CPU limit in cores: cgroup v2 `cpu.max`, v1 CFS quota/period, else the available CPUs. */
export function cpuLimitCores(): number {
  const machine = availableParallelism();
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    if (quota && quota !== 'max' && Number(period) > 0) return Math.min(Number(quota) / Number(period), machine);
    return machine;
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? -1);
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? 0);
  return quota > 0 && period > 0 ? Math.min(quota / period, machine) : machine;
}

export function registerProcessLimits(registry: Registry): void {
  new Gauge({
    name: METRIC.processMemoryLimit,
    help: 'Memory this process may use: its container limit, or the machine total when unlimited.',
    registers: [registry],
    collect() {
      this.set(memoryLimitBytes());
    },
  });
  new Gauge({
    name: METRIC.processCpuLimit,
    help: 'CPU cores this process may use: its container limit, or the machine CPUs when unlimited.',
    registers: [registry],
    collect() {
      this.set(cpuLimitCores());
    },
  });
}

/** Free and total bytes of the file system holding a data volume (e.g. upload storage). */
export function registerVolumeMetrics(registry: Registry, volume: string, path: string): void {
  const sample = async () => {
    const stats = await statfs(path);
    return { free: stats.bavail * stats.bsize, size: stats.blocks * stats.bsize };
  };
  new Gauge({
    name: METRIC.volumeFreeBytes,
    help: 'Free bytes of a data volume available to this process.',
    labelNames: ['volume'] as const,
    registers: [registry],
    async collect() {
      const s = await sample().catch(() => undefined);
      if (s) this.set({ volume }, s.free);
    },
  });
  new Gauge({
    name: METRIC.volumeSizeBytes,
    help: 'Total bytes of a data volume.',
    labelNames: ['volume'] as const,
    registers: [registry],
    async collect() {
      const s = await sample().catch(() => undefined);
      if (s) this.set({ volume }, s.size);
    },
  });
}
