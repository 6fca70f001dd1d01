/**
 * The cost report, computed purely from a platform's history: per line and in total the cost,
 * replica-hours, peak and average replicas; what a fixed fleet sized for the observed peak would
 * have cost; unit costs; budget use and the month-end projection; the costliest scaling decisions.
 * Money is summed in integer micro-units and shown in currency units (see docs/adr/0005-cost-accounting.md).
 */
import { COST_REFERENCE } from '../../core/sla.js';
import type { PriceSpec, ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';
import { allocateHours, type LineAllocation, type MeasuredHour } from './allocation.js';
import { Fraction } from './exact.js';
import { historyStart, type HistoryDocument } from './history-document.js';
import { COST_LINES, hourlyRate, NOT_REPLICAS, PriceHistory, type CostLine, type ReplicaShape, type ReplicaShapes } from './prices.js';
import { HOUR_MS, replicasAt, toSegments, type Segment } from './timeline.js';
import { exactCost, hourlyUsage, toMicros, type HourUsage, type TimeRange } from './usage.js';

export interface CostReportInput {
  history: HistoryDocument;
  shapes: ReplicaShapes;
  /** A calendar month "YYYY-MM" (UTC), or an explicit range. */
  period: { month: string } | TimeRange;
  /** Nothing after `now` is counted; a month still running gets a projection. */
  now: number;
  /** The API's own counters for the period (active users only when someone counted them). */
  usage?: { requests: number; activeUsers?: number };
  decisions?: readonly ScalingDecisionRecord[];
  /** "namespace/name", shown in the report. */
  platform?: string;
  /** How many of the costliest scaling decisions to list (default 10). */
  decisionLimit?: number;
  /**
   * What the pods' containers used, per line and hour bin (cAdvisor, through Prometheus): lines
   * with it are charged max(request, usage) and their idle cost is shown (allocation.ts).
   */
  measured?: Partial<Record<CostLine, readonly MeasuredHour[]>>;
}

export interface LineReport {
  line: CostLine;
  /** False for lines served outside the platform (external database or Redis). */
  priced: boolean;
  cost: number;
  replicaHours: number;
  peakReplicas: number;
  averageReplicas: number;
  /** The same line run at its peak count for the whole period. */
  fixedFleetCost: number;
  saving: number;
  /** With measured usage: requested vs. used vCPU and memory, and the cost split (cost = requests + burst). */
  allocation?: LineAllocation;
}

export interface DecisionCost {
  decision: ScalingDecisionRecord;
  /** What the replicas it added (or removed: negative) cost until the component next changed. */
  cost: number;
  hours: number;
}

export interface CostReport {
  platform?: string;
  currency: string;
  month?: string;
  /** ISO times; `to` is the end of the period, `asOf` the end of what is counted. */
  /** `platformFrom`: where the platform's history starts inside the period (fixed fleets count from there). */
  period: { from: string; to: string; asOf: string; complete: boolean; platformFrom: string };
  lines: LineReport[];
  total: { cost: number; replicaHours: number; fixedFleetCost: number; saving: number; savingRatio: number | null };
  unitCosts: {
    requests?: number;
    activeUsers?: number;
    per1000Requests: number | null;
    perActiveUser: number | null;
    /**
     * Per active user over the hours the platform existed, scaled to an average month (30.4375
     * days), so it compares with the seed's monthly reference; `vsReference` is its ratio to it.
     */
    perActiveUserMonth: number | null;
    perActiveUserMonthVsReference: number | null;
    /** The seed's reference figures, for comparison. */
    reference: { per1000Requests: number; perUserMonth: number; savingRatio: number; fixedFleetMonthly: number };
  };
  spend: {
    /** Cost per hour of the replicas running at `asOf`. */
    ratePerHour: number;
    /** The same, per priced line. */
    ratePerHourByLine: Partial<Record<CostLine, number>>;
    /** Average cost per hour over the trailing week, which the projection extrapolates. */
    runRatePerHour: number;
    monthlyBudget: number | null;
    budgetUsedRatio: number | null;
    /** Month-end projection; only for calendar months. */
    projection: number | null;
    projectedBudgetRatio: number | null;
  };
  /** The seed's real fixed fleet ($1,085 a month), prorated over the hours the platform existed, as a comparison. */
  seedFleet: { monthly: number; hours: number; prorated: number };
  hourly: { from: number[]; lines: Partial<Record<CostLine, { cost: number[]; averageReplicas: number[] }>> };
  costliestDecisions: DecisionCost[];
  /** The shared-services line item by item, each over the hours the platform existed at the prices then. */
  sharedCosts: { name: string; monthly: number; cost: number }[];
  /**
   * Requested vCPU and memory no container used, over the lines with measured usage (part of
   * their cost, shown apart); `ratio` is its share of what those requests cost. Null without measurements.
   */
  idle: { cost: number; ratio: number | null } | null;
}

const RUN_RATE_WINDOW_MS = 7 * 24 * HOUR_MS;

export function computeCostReport(input: CostReportInput): CostReport {
  const range = 'month' in input.period ? monthRange(input.period.month) : input.period;
  const asOf = Math.max(range.from, Math.min(range.to, input.now));
  const counted: TimeRange = { from: range.from, to: asOf };
  // A fixed fleet, the seed's fleet and monthly normalisations count only the hours the platform existed.
  const existed: TimeRange = { from: Math.min(asOf, Math.max(range.from, historyStart(input.history) ?? asOf)), to: asOf };
  const prices = new PriceHistory(input.history.prices);
  const timelines = lineSegments(input.history);

  const usage = COST_LINES.map((line) => ({ line, hours: hourlyUsage(timelines[line], counted, input.shapes[line], prices) }));
  const fixedFleet = usage.map(({ line, hours }) => fixedFleetMicros(hours, existed, input.shapes[line], prices));
  // Before anything sums the hours: a measured hour's cost becomes max(request, usage) × price.
  const allocations = new Map<CostLine, LineAllocation>();
  for (const { line, hours } of usage) {
    const shape = input.shapes[line];
    const measured = input.measured?.[line];
    if (shape && measured && measured.length > 0) allocations.set(line, allocateHours(hours, shape, measured, prices));
  }
  const lines = usage.map(({ line, hours }, index) => ({
    ...lineReport(line, hours, counted, input.shapes, fixedFleet[index] ?? 0n),
    ...(allocations.has(line) ? { allocation: allocations.get(line) as LineAllocation } : {}),
  }));
  const totalMicros = sumMicros(usage.flatMap(({ hours }) => hours));
  const fixedMicros = fixedFleet.reduce((sum, line) => sum + line, 0n);
  const totalReplicaMs = usage
    .filter(({ line }) => !NOT_REPLICAS.has(line))
    .reduce((sum, { hours }) => sum.add(sumReplicaMs(hours)), Fraction.ZERO);

  const currentPrices = prices.at(asOf).prices;
  const budget = currentPrices.monthlyBudget ?? null;
  const runRate = runRatePerHour(timelines, input, asOf, prices);
  const projectionMicros =
    'month' in input.period ? totalMicros + toMicros(runRate.mul(BigInt(range.to - asOf)).div(BigInt(HOUR_MS))) : null;

  return {
    ...(input.platform ? { platform: input.platform } : {}),
    currency: currentPrices.currency,
    ...('month' in input.period ? { month: input.period.month } : {}),
    period: { from: iso(range.from), to: iso(range.to), asOf: iso(asOf), complete: asOf >= range.to, platformFrom: iso(existed.from) },
    lines,
    total: {
      cost: money(totalMicros),
      replicaHours: totalReplicaMs.div(BigInt(HOUR_MS)).toNumber(),
      fixedFleetCost: money(fixedMicros),
      saving: money(fixedMicros - totalMicros),
      savingRatio: fixedMicros > 0n ? Number(fixedMicros - totalMicros) / Number(fixedMicros) : null,
    },
    unitCosts: unitCosts(totalMicros, input.usage, existed),
    seedFleet: seedFleet(existed),
    spend: {
      ratePerHour: money(toMicros(spendRatePerHour(input, asOf, currentPrices))),
      ratePerHourByLine: Object.fromEntries(
        Object.entries(spendRatesPerHour(input, asOf, currentPrices)).map(([line, rate]) => [line, money(toMicros(rate))]),
      ),
      runRatePerHour: money(toMicros(runRate)),
      monthlyBudget: budget,
      budgetUsedRatio: budget ? Number(totalMicros) / 1e6 / budget : null,
      projection: projectionMicros === null ? null : money(projectionMicros),
      projectedBudgetRatio: budget && projectionMicros !== null ? Number(projectionMicros) / 1e6 / budget : null,
    },
    hourly: {
      from: usage[0]?.hours.map((hour) => hour.from) ?? [],
      lines: Object.fromEntries(
        usage.map(({ line, hours }) => [
          line,
          {
            cost: hours.map((hour) => money(hour.costMicros)),
            averageReplicas: hours.map((hour) => hour.replicaMs.div(BigInt(hour.to - hour.from)).toNumber()),
          },
        ]),
      ),
    },
    costliestDecisions: costliestDecisions(input, counted, timelines, prices),
    sharedCosts: sharedCostItems({ from: Math.max(counted.from, existed.from), to: asOf }, prices),
    idle: idleOf([...allocations.values()]),
  };
}

function idleOf(allocations: readonly LineAllocation[]): CostReport['idle'] {
  if (allocations.length === 0) return null;
  // Sums of micro-unit figures, kept in micro-units so the total is exact.
  const micros = (pick: (a: LineAllocation) => number) => allocations.reduce((sum, a) => sum + BigInt(Math.round(pick(a) * 1e6)), 0n);
  const idle = micros((a) => a.idleCost);
  const requests = micros((a) => a.requestCost);
  return { cost: money(idle), ratio: requests > 0n ? Number(idle) / Number(requests) : null };
}

/** Each shared cost prorated over `range` at 730 hours a month, price period by price period. */
function sharedCostItems(range: TimeRange, prices: PriceHistory): CostReport['sharedCosts'] {
  const items = new Map<string, { monthly: number; cost: Fraction }>();
  for (const item of prices.at(range.to).prices.sharedCosts ?? []) items.set(item.name, { monthly: item.monthly, cost: Fraction.ZERO });
  for (let from = range.from; from < range.to;) {
    const to = Math.min(range.to, prices.nextChangeAfter(from) ?? range.to);
    for (const item of prices.at(from).prices.sharedCosts ?? []) {
      const entry = items.get(item.name) ?? { monthly: 0, cost: Fraction.ZERO };
      const share = Fraction.of(item.monthly)
        .mul(BigInt(to - from))
        .div(BigInt(COST_REFERENCE.hoursPerMonth * HOUR_MS));
      items.set(item.name, { ...entry, cost: entry.cost.add(share) });
    }
    from = to;
  }
  return [...items].map(([name, { monthly, cost }]) => ({ name, monthly, cost: money(toMicros(cost)) }));
}

/** [first instant, first instant of the next month) of a "YYYY-MM" month, in UTC. */
export function monthRange(month: string): TimeRange {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const monthIndex = Number(match?.[2]) - 1;
  if (!match || monthIndex < 0 || monthIndex > 11) throw new RangeError(`not a month: "${month}" (expected YYYY-MM)`);
  const year = Number(match[1]);
  return { from: Date.UTC(year, monthIndex, 1), to: Date.UTC(year, monthIndex + 1, 1) };
}

/** The "YYYY-MM" month (UTC) containing `time`. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}

function lineSegments(history: HistoryDocument): Record<CostLine, Segment[]> {
  const start = historyStart(history);
  return {
    api: toSegments(history.components.api ?? []),
    'worker-uploads': toSegments(history.components['worker-uploads'] ?? []),
    'worker-reports': toSegments(history.components['worker-reports'] ?? []),
    'postgres-replicas': toSegments(history.components['postgres-replicas'] ?? []),
    'redis-shards': toSegments(history.components['redis-shards'] ?? []),
    // The primary and the shared services run from the moment the platform's history starts.
    'postgres-primary': start === undefined ? [] : [{ kind: 'constant', from: start, to: Number.POSITIVE_INFINITY, replicas: 1 }],
    'shared-services': start === undefined ? [] : [{ kind: 'constant', from: start, to: Number.POSITIVE_INFINITY, replicas: 1 }],
  };
}

/** What the line would have cost running its observed peak count for the whole range. */
function fixedFleetMicros(hours: readonly HourUsage[], range: TimeRange, shape: ReplicaShape | undefined, prices: PriceHistory): bigint {
  if (!shape) return 0n;
  const fixed: Segment[] = [{ kind: 'constant', from: range.from, to: range.to, replicas: peakOf(hours) }];
  return sumMicros(hourlyUsage(fixed, range, shape, prices));
}

function lineReport(line: CostLine, hours: HourUsage[], range: TimeRange, shapes: ReplicaShapes, fixedMicros: bigint): LineReport {
  const replicaMs = sumReplicaMs(hours);
  const peak = peakOf(hours);
  const costMicros = sumMicros(hours);
  const length = BigInt(range.to - range.from);
  return {
    line,
    priced: shapes[line] !== undefined,
    cost: money(costMicros),
    replicaHours: replicaMs.div(BigInt(HOUR_MS)).toNumber(),
    peakReplicas: peak,
    averageReplicas: length > 0n ? replicaMs.div(length).toNumber() : 0,
    fixedFleetCost: money(fixedMicros),
    saving: money(fixedMicros - costMicros),
  };
}

/**
 * Average cost per hour over the week before `asOf` (or since the history starts): a week covers
 * the daily and weekly load cycle, so the projection neither panics at a peak nor relaxes at night.
 */
function runRatePerHour(timelines: Record<CostLine, Segment[]>, input: CostReportInput, asOf: number, prices: PriceHistory): Fraction {
  const from = Math.max(asOf - RUN_RATE_WINDOW_MS, historyStart(input.history) ?? asOf);
  if (from >= asOf) return spendRatePerHour(input, asOf, prices.at(asOf).prices);
  let cost = Fraction.ZERO;
  for (const line of COST_LINES) {
    const shape = input.shapes[line];
    if (shape) cost = cost.add(exactCost(timelines[line], { from, to: asOf }, shape, prices));
  }
  return cost.mul(BigInt(HOUR_MS)).div(BigInt(asOf - from));
}

function spendRatePerHour(input: CostReportInput, asOf: number, prices: PriceSpec): Fraction {
  return Object.values(spendRatesPerHour(input, asOf, prices)).reduce((sum, rate) => sum.add(rate), Fraction.ZERO);
}

/** Cost per hour of each priced line's replicas running at `asOf`. */
function spendRatesPerHour(input: CostReportInput, asOf: number, prices: PriceSpec): Partial<Record<CostLine, Fraction>> {
  const rates: Partial<Record<CostLine, Fraction>> = {};
  const running = historyStart(input.history) !== undefined && (historyStart(input.history) as number) <= asOf;
  for (const line of COST_LINES) {
    const shape = input.shapes[line];
    if (!shape) continue;
    const alwaysOn = line === 'postgres-primary' || line === 'shared-services';
    const replicas = alwaysOn ? (running ? 1 : 0) : replicasAt(input.history.components[line] ?? [], asOf);
    rates[line] = hourlyRate(shape, prices).mul(BigInt(replicas));
  }
  return rates;
}

/** An average Gregorian month: 365.25 days / 12. */
export const AVERAGE_MONTH_MS = 2_629_800_000;

function seedFleet(existed: TimeRange): CostReport['seedFleet'] {
  const monthly = COST_REFERENCE.monthlyFixedFleet.total;
  const length = BigInt(existed.to - existed.from);
  return {
    monthly,
    hours: (existed.to - existed.from) / HOUR_MS,
    prorated: money(new Fraction(BigInt(Math.round(monthly * 1e6)) * length, BigInt(AVERAGE_MONTH_MS)).round()),
  };
}

function unitCosts(totalMicros: bigint, usage: CostReportInput['usage'], existed: TimeRange): CostReport['unitCosts'] {
  const reference = {
    per1000Requests: COST_REFERENCE.costPerRequest * 1000,
    perUserMonth: COST_REFERENCE.costPerUserMonthly,
    savingRatio: COST_REFERENCE.autoscalingSavingRatio,
    fixedFleetMonthly: COST_REFERENCE.monthlyFixedFleet.total,
  };
  const total = new Fraction(totalMicros);
  const existedMs = BigInt(existed.to - existed.from);
  const perUserMonth =
    usage?.activeUsers && existedMs > 0n
      ? total
          .mul(BigInt(AVERAGE_MONTH_MS))
          .div(BigInt(usage.activeUsers) * existedMs)
          .round()
      : null;
  return {
    ...(usage ? { requests: usage.requests, ...(usage.activeUsers !== undefined ? { activeUsers: usage.activeUsers } : {}) } : {}),
    per1000Requests: usage?.requests ? money(total.mul(1000n).div(BigInt(usage.requests)).round()) : null,
    perActiveUser: usage?.activeUsers ? money(total.div(BigInt(usage.activeUsers)).round()) : null,
    perActiveUserMonth: perUserMonth === null ? null : money(perUserMonth),
    perActiveUserMonthVsReference: perUserMonth === null ? null : Number(perUserMonth) / 1e6 / reference.perUserMonth,
    reference,
  };
}

/**
 * Each decision inside the period is charged for the replicas it added (or credited for those it
 * removed) from its time until the component's count next changed, at the prices then in effect.
 */
function costliestDecisions(
  input: CostReportInput,
  range: TimeRange,
  timelines: Record<CostLine, Segment[]>,
  prices: PriceHistory,
): DecisionCost[] {
  const costs: DecisionCost[] = [];
  for (const decision of input.decisions ?? []) {
    const at = Date.parse(decision.time);
    const shape = input.shapes[decision.component];
    if (!shape || !(at >= range.from && at < range.to) || decision.to === decision.from) continue;
    const until = Math.min(range.to, heldUntil(timelines[decision.component], at, decision.to));
    const delta: Segment[] = [{ kind: 'constant', from: at, to: until, replicas: decision.to - decision.from }];
    costs.push({ decision, cost: money(toMicros(exactCost(delta, range, shape, prices))), hours: (until - at) / HOUR_MS });
  }
  return costs.sort((a, b) => b.cost - a.cost).slice(0, input.decisionLimit ?? 10);
}

/** When a component's count moved away from `replicas` after `at` (a compacted hour ends the search). */
function heldUntil(segments: readonly Segment[], at: number, replicas: number): number {
  let until = at;
  for (const segment of segments) {
    if (segment.to <= at) continue;
    if (segment.kind === 'hour' || (segment.from > at && segment.replicas !== replicas)) return Math.max(until, segment.from);
    until = segment.to;
  }
  return until;
}

function sumMicros(hours: readonly HourUsage[]): bigint {
  return hours.reduce((sum, hour) => sum + hour.costMicros, 0n);
}

function sumReplicaMs(hours: readonly HourUsage[]): Fraction {
  return hours.reduce((sum, hour) => sum.add(hour.replicaMs), Fraction.ZERO);
}

function money(microUnits: bigint): number {
  return Number(microUnits) / 1e6;
}

function peakOf(hours: readonly HourUsage[]): number {
  return hours.reduce((peak, hour) => Math.max(peak, hour.peak), 0);
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
