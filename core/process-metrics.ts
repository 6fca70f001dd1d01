/**
 * The limits a process is judged against, exported beside prom-client's usage metrics so alerts
 * can divide one by the other: the container's memory limit read from the cgroup (v2 or v1, the
 * machine's total when there is none), its CPU limit when it has one and its CPU request.
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from './metric-names.js';
import { labelNamesOf } from './metric-labels.js';

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

/** CPU limit in cores from the cgroup (v2 `cpu.max`, v1 CFS quota/period); undefined when the container has none. */
export function cpuLimitCores(): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2) {
    const [quota, period] = v2.split(/\s+/);
    return quota && quota !== 'max' && Number(period) > 0 ? Number(quota) / Number(period) : undefined;
  }
  const quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? -1);
  const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? 0);
  return quota > 0 && period > 0 ? quota / period : undefined;
}

/**
 * CPU request in cores, from `CPU_REQUEST_MILLICORES` (the pod sets it through the downward API,
 * `resourceFieldRef: requests.cpu`, divisor 1m); undefined when unset. Pods run without a CPU limit
 * (throttling hurts latency), so the request is what CPU use is judged against.
 */
export function cpuRequestCores(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const millicores = Number(env.CPU_REQUEST_MILLICORES);
  return env.CPU_REQUEST_MILLICORES && Number.isFinite(millicores) && millicores > 0 ? millicores / 1000 : undefined;
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
  // prom-client exports a gauge without labels at 0 until it is set, so "none" is 0, said openly:
  // readers keep only values > 0 (dividing by it would make every pod without a limit look infinitely busy).
  new Gauge({
    name: METRIC.processCpuLimit,
    help: 'CPU cores this process may use: its container limit (0 when it has none).',
    registers: [registry],
    collect() {
      this.set(cpuLimitCores() ?? 0);
    },
  });
  new Gauge({
    name: METRIC.processCpuRequest,
    help: 'CPU cores requested for this container (0 when the pod does not say).',
    registers: [registry],
    collect() {
      this.set(cpuRequestCores() ?? 0);
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
    labelNames: labelNamesOf('volumeFreeBytes'),
    registers: [registry],
    async collect() {
      const s = await sample().catch(() => undefined);
      if (s) this.set({ volume }, s.free);
    },
  });
  new Gauge({
    name: METRIC.volumeSizeBytes,
    help: 'Total bytes of a data volume.',
    labelNames: labelNamesOf('volumeSizeBytes'),
    registers: [registry],
    async collect() {
      const s = await sample().catch(() => undefined);
      if (s) this.set({ volume }, s.size);
    },
  });
}
