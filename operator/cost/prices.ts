/**
 * What one replica of each cost line is made of, and what it costs per hour under a price table.
 * Pods are priced by their requested vCPU and memory; Postgres and Redis by instance and node,
 * plus their volumes per GiB-month.
 */
import { COST_REFERENCE } from '../../core/sla.js';
import { COMPONENTS, type Component, type PassPlatformSpec, type PriceSpec, type Resources } from '../../platform-api/v1alpha1/index.js';
import { Fraction } from './exact.js';
import { parseQuantity, quantityInGib } from './quantity.js';

/**
 * Every line of a cost report: the scaled components, plus the Postgres primary, which runs all
 * the time beside the read replicas, and the shared services (load balancer, CDN, monitoring:
 * `cost.sharedCosts`), paid by the month while the platform exists.
 */
export type CostLine = Component | 'postgres-primary' | 'shared-services';
export const COST_LINES: readonly CostLine[] = [...COMPONENTS, 'postgres-primary', 'shared-services'];

/** Lines that are not replicas of anything: their hours are not replica-hours. */
export const NOT_REPLICAS: ReadonlySet<CostLine> = new Set(['shared-services']);

/** Prices take effect at `from` (epoch ms) and hold until the next period's `from`. */
export interface PricePeriod {
  from: number;
  prices: PriceSpec;
}

/** One replica of a line, in the units prices are quoted in. */
export interface ReplicaShape {
  vcpu: Fraction;
  memoryGib: Fraction;
  postgresInstances: Fraction;
  redisNodes: Fraction;
  storageGib: Fraction;
  /** Shares of the monthly shared costs (1 for the shared-services line, 0 elsewhere). */
  sharedServices: Fraction;
}

export type ReplicaShapes = Partial<Record<CostLine, ReplicaShape>>;

/** The parts of a PassPlatform spec that determine what a replica is made of. */
export type SizingSpec = Pick<PassPlatformSpec, 'api' | 'workers' | 'database' | 'redis'>;

/**
 * Shapes of every priced line. Lines served outside the platform (an external database or Redis)
 * have no shape and cost nothing here: they are billed elsewhere.
 */
export function replicaShapes(spec: SizingSpec): ReplicaShapes {
  const shapes: ReplicaShapes = {
    api: podShape(spec.api.resources),
    'worker-uploads': podShape(spec.workers.uploads.resources),
    'worker-reports': podShape(spec.workers.reports.resources),
    'shared-services': { ...NOTHING, sharedServices: ONE },
  };
  const database = spec.database.mode === 'managed' ? spec.database.managed : undefined;
  if (database) {
    const instance = { ...NOTHING, postgresInstances: ONE, storageGib: quantityInGib(database.storage) };
    shapes['postgres-replicas'] = instance;
    shapes['postgres-primary'] = instance;
  }
  const redis = spec.redis.mode === 'managed' ? spec.redis.managed : undefined;
  if (redis) {
    // One shard is a primary node plus its replicas, each with its own volume.
    const nodes = Fraction.of(1 + redis.replicasPerShard);
    shapes['redis-shards'] = { ...NOTHING, redisNodes: nodes, storageGib: quantityInGib(redis.storage).mul(nodes) };
  }
  return shapes;
}

const ONE = Fraction.of(1);
const NOTHING: ReplicaShape = {
  vcpu: Fraction.ZERO,
  memoryGib: Fraction.ZERO,
  postgresInstances: Fraction.ZERO,
  redisNodes: Fraction.ZERO,
  storageGib: Fraction.ZERO,
  sharedServices: Fraction.ZERO,
};

function podShape(resources: Resources): ReplicaShape {
  return { ...NOTHING, vcpu: parseQuantity(resources.cpu), memoryGib: quantityInGib(resources.memory) };
}

/**
 * Storage and shared costs are quoted per month; a month is the seed's 730 hours, the same month
 * the default hourly prices were derived with, so an hour costs the same in every month.
 */
const HOURS_PER_PRICED_MONTH = BigInt(COST_REFERENCE.hoursPerMonth);

/** The shared costs per month, summed exactly. */
export function sharedMonthly(prices: PriceSpec): Fraction {
  return (prices.sharedCosts ?? []).reduce((sum, item) => sum.add(Fraction.of(item.monthly)), Fraction.ZERO);
}

/** Cost of one replica for one hour, exactly. */
export function hourlyRate(shape: ReplicaShape, prices: PriceSpec): Fraction {
  return shape.vcpu
    .mul(Fraction.of(prices.vcpuHour))
    .add(shape.memoryGib.mul(Fraction.of(prices.gibHour)))
    .add(shape.postgresInstances.mul(Fraction.of(prices.postgresInstanceHour)))
    .add(shape.redisNodes.mul(Fraction.of(prices.redisNodeHour)))
    .add(shape.storageGib.mul(Fraction.of(prices.storageGibMonth)).div(HOURS_PER_PRICED_MONTH))
    .add(shape.sharedServices.mul(sharedMonthly(prices)).div(HOURS_PER_PRICED_MONTH));
}

/** Price periods sorted by start; the earliest one also covers any time before it. */
export class PriceHistory {
  readonly periods: readonly PricePeriod[];

  constructor(periods: readonly PricePeriod[]) {
    if (periods.length === 0) throw new RangeError('a price history needs at least one price period');
    this.periods = [...periods].sort((a, b) => a.from - b.from);
  }

  /** The period in effect at `time`. */
  at(time: number): PricePeriod {
    let current = this.periods[0] as PricePeriod;
    for (const period of this.periods) {
      if (period.from > time) break;
      current = period;
    }
    return current;
  }

  /** Start of the first period after `time`, if any: where a cost piece must be split. */
  nextChangeAfter(time: number): number | undefined {
    return this.periods.find((period) => period.from > time)?.from;
  }
}
