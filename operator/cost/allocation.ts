/**
 * OpenCost-style allocation of the pods' vCPU and memory: in each hour a component is charged for
 * max(requested, used) of each resource (requests are reserved for it whether it uses them or not;
 * what it uses beyond them is taken from the node's free capacity), where "used" is what the
 * kubelet's cAdvisor measured (`container_cpu_usage_seconds_total`,
 * `container_memory_working_set_bytes` of the component's `app` containers). The part of the
 * requests that went unused is the idle cost: paid for, doing nothing, shown apart so requests
 * can be right-sized.
 *
 * Requested and used amounts are compared per component and hour (the scaling history keeps
 * replica counts, not pods): a pod over its request in an hour when another is under it nets out.
 * Only vCPU and memory are allocated this way; database instances, Redis nodes, volumes and shared
 * services are charged as provisioned. An hour without a measurement stays priced by its requests.
 */
import { Fraction } from './exact.js';
import type { PriceHistory, ReplicaShape } from './prices.js';
import { HOUR_MS } from './timeline.js';
import { toMicros, type HourUsage } from './usage.js';

/** What a component's containers used in one hour bin (`from` is the bin's start, as in the report's hours). */
export interface MeasuredHour {
  from: number;
  /** CPU time used, in core-hours. */
  vcpuHours: number;
  /** Working-set memory held, in GiB-hours. */
  gibHours: number;
}

export interface LineAllocation {
  requestedVcpuHours: number;
  usedVcpuHours: number;
  requestedGibHours: number;
  usedGibHours: number;
  /** Every measured hour at its requests: what the reservations cost. */
  requestCost: number;
  /** Used beyond the requests (charged on top: cost = requestCost + burstCost = max(request, usage) × price). */
  burstCost: number;
  /** Requested and not used (included in the cost; shown apart). */
  idleCost: number;
  /** Hours of the period with a measurement. */
  measuredHours: number;
}

/** Measured amounts are kept to a billionth of a core-hour or GiB-hour. */
const BILLION = 1_000_000_000n;
const exactAmount = (value: number) => new Fraction(BigInt(Math.round(value * 1e9)), BILLION);
const positive = (value: Fraction) => (value.num > 0n ? value : Fraction.ZERO);

/**
 * Adds to each measured hour's cost what its usage took beyond the requests (so the hour's cost is
 * max(request, usage) × price, rounded once), and returns what the line was allocated.
 */
export function allocateHours(
  hours: HourUsage[],
  shape: ReplicaShape,
  measured: readonly MeasuredHour[],
  prices: PriceHistory,
): LineAllocation {
  const byStart = new Map(measured.map((hour) => [hour.from, hour]));
  let requestedVcpu = Fraction.ZERO;
  let usedVcpu = Fraction.ZERO;
  let requestedGib = Fraction.ZERO;
  let usedGib = Fraction.ZERO;
  let requestMicros = 0n;
  let burstMicros = 0n;
  let idleMicros = 0n;
  let measuredHours = 0;
  for (const hour of hours) {
    const used = byStart.get(hour.from);
    if (!used) continue;
    const { vcpuHour, gibHour } = prices.at(hour.from).prices;
    const replicaHours = hour.replicaMs.div(BigInt(HOUR_MS));
    const requested = { vcpu: shape.vcpu.mul(replicaHours), gib: shape.memoryGib.mul(replicaHours) };
    const use = { vcpu: exactAmount(used.vcpuHours), gib: exactAmount(used.gibHours) };
    const price = (vcpu: Fraction, gib: Fraction) => vcpu.mul(Fraction.of(vcpuHour)).add(gib.mul(Fraction.of(gibHour)));
    const burst = price(positive(use.vcpu.sub(requested.vcpu)), positive(use.gib.sub(requested.gib)));
    const idle = price(positive(requested.vcpu.sub(use.vcpu)), positive(requested.gib.sub(use.gib)));
    // The hour's cost is rounded once, with its burst: the request and burst parts add up to it exactly.
    const atRequests = hour.costMicros;
    hour.cost = hour.cost.add(burst);
    hour.costMicros = toMicros(hour.cost);
    requestMicros += atRequests;
    burstMicros += hour.costMicros - atRequests;
    idleMicros += toMicros(idle);
    requestedVcpu = requestedVcpu.add(requested.vcpu);
    usedVcpu = usedVcpu.add(use.vcpu);
    requestedGib = requestedGib.add(requested.gib);
    usedGib = usedGib.add(use.gib);
    measuredHours += (hour.to - hour.from) / HOUR_MS;
  }
  return {
    requestedVcpuHours: requestedVcpu.toNumber(),
    usedVcpuHours: usedVcpu.toNumber(),
    requestedGibHours: requestedGib.toNumber(),
    usedGibHours: usedGib.toNumber(),
    requestCost: Number(requestMicros) / 1e6,
    burstCost: Number(burstMicros) / 1e6,
    idleCost: Number(idleMicros) / 1e6,
    measuredHours,
  };
}
