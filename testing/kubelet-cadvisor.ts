/**
 * The kubelet's `/metrics/cadvisor` for processes that run here instead of in pods: cAdvisor reads
 * each container's cgroup; a process started by a test has no cgroup of its own, so this target
 * reads the same figures from the kernel for the process itself, at every scrape:
 * - `container_cpu_usage_seconds_total`: user + system CPU time (/proc/PID/stat utime + stime);
 * - `container_memory_working_set_bytes`: resident memory (/proc/PID/status VmRSS; the process has
 *   no page cache of its own to subtract, which is what cAdvisor's working set leaves out).
 * Labels as the kubelet exports them (`container`, `id`, `image`, `name`, `namespace`, `pod`; it is
 * scraped with honor_labels), each container also under the pod-level cgroup series
 * (`container=""`), which readers must not count twice. Samples carry cAdvisor's timestamps.
 */
import { readFileSync } from 'node:fs';
import { METRIC } from '../core/metric-names.js';
import { family, line, startExpositionTarget, type ExpositionTarget } from './exposition-target.js';

/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

export interface ContainerProcess {
  namespace: string;
  pod: string;
  container: string;
  image: string;
  pid: number;
}

export interface ProcessUsage {
  cpuSeconds: number;
  workingSetBytes: number;
}

/** CPU seconds and resident bytes of a live process, from /proc. */
export function processUsage(pid: number): ProcessUsage {
  // Fields after the command name (which may hold spaces) start at the state, field 3: utime is 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / USER_HZ, workingSetBytes: Number(rss?.[1] ?? 0) * 1024 };
}

export async function startKubeletCadvisor(containers: readonly ContainerProcess[]): Promise<ExpositionTarget> {
  return startExpositionTarget(() => {
    const now = Date.now();
    const cpu: string[] = [];
    const memory: string[] = [];
    for (const c of containers) {
      const usage = processUsage(c.pid);
      const podUid = `pod-${c.pod}`;
      const containerId = `cri-containerd-${c.pid}`;
      const series = [
        { container: c.container, id: `/kubepods/burstable/${podUid}/${containerId}`, image: c.image, name: containerId },
        // The pod's own cgroup: every container of the pod together (here, the one).
        { container: '', id: `/kubepods/burstable/${podUid}`, image: '', name: '' },
      ];
      for (const labels of series) {
        const all = { ...labels, namespace: c.namespace, pod: c.pod };
        cpu.push(line(METRIC.containerCpuUsage, all, usage.cpuSeconds, now));
        memory.push(line(METRIC.containerMemoryWorkingSet, all, usage.workingSetBytes, now));
      }
    }
    return [
      family(METRIC.containerCpuUsage, 'counter', 'Cumulative cpu time consumed in seconds.', cpu),
      family(METRIC.containerMemoryWorkingSet, 'gauge', 'Current working set in bytes.', memory),
    ].join('\n');
  });
}
