/**
 * The predictive part: load a component will see once a replica started now is serving.
 * Two views, both only ever used to scale *up* ahead of time:
 * - the short-term trend (least-squares slope over the last few minutes), for ramps;
 * - seasonality: a rise that followed this time of day on at least two of the last seven days at
 *   today's level, capped.
 * Both work on one number per component ("load": requests/s, jobs/s, cores), updated immutably.
 */
import type { LoadSample, SeasonalMemory } from './types.js';

const DAY_MS = 86_400_000;
/** Slack on the fit test for floating-point rounding (R² is computed from sums of products). */
const FIT_ROUNDING = 1e-9;

/** Keeps the samples of the last `windowMs`, plus the new one. */
export function appendSample(samples: readonly LoadSample[], sample: LoadSample, windowMs: number): LoadSample[] {
  const kept = samples.filter((s) => s.at > sample.at - windowMs && s.at < sample.at);
  kept.push(sample);
  return kept;
}

/**
 * Load expected `horizonMs` from the last sample if the current linear trend holds; undefined
 * without enough samples, when load is not rising, or when a line explains too little of the
 * variation (R² under `minFit`: one odd reading is not a ramp).
 */
export function trendForecast(samples: readonly LoadSample[], horizonMs: number, minSpanMs: number, minFit: number): number | undefined {
  if (samples.length < 4) return undefined;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at - first.at < minSpanMs) return undefined;
  const n = samples.length;
  let sumT = 0;
  let sumL = 0;
  for (const s of samples) {
    sumT += s.at - last.at;
    sumL += s.load;
  }
  const meanT = sumT / n;
  const meanL = sumL / n;
  let cov = 0;
  let varT = 0;
  let varL = 0;
  for (const s of samples) {
    const dt = s.at - last.at - meanT;
    cov += dt * (s.load - meanL);
    varT += dt * dt;
    varL += (s.load - meanL) ** 2;
  }
  const slopePerMs = varT > 0 ? cov / varT : 0;
  // R² is the same for any scale of the loads, but not its rounding: a step from zeros to x has
  // R² = 0.6 exactly (four samples), and whether it came out 0.6 ± 1e-16 decided, load by load,
  // whether the trend counted — more load then planned fewer replicas. Rounding is not a worse fit.
  if (slopePerMs <= 0 || varL === 0 || (cov * cov) / (varT * varL) < minFit - FIT_ROUNDING) return undefined;
  const nowOnLine = meanL - slopePerMs * meanT;
  return nowOnLine + slopePerMs * horizonMs;
}

export function emptySeasonalMemory(bucketMs: number, spanMs: number): SeasonalMemory {
  const slots = Math.ceil(spanMs / bucketMs);
  return {
    bucketMs,
    ids: new Array<number>(slots).fill(-1),
    means: new Array<number>(slots).fill(0),
    openId: -1,
    openSum: 0,
    openCount: 0,
  };
}

/** Adds one load sample; the open bucket is written to the ring when time moves past it. */
export function recordSeasonal(memory: SeasonalMemory, at: number, load: number): SeasonalMemory {
  const id = Math.floor(at / memory.bucketMs);
  if (id === memory.openId) return { ...memory, openSum: memory.openSum + load, openCount: memory.openCount + 1 };
  let { ids, means } = memory;
  if (memory.openCount > 0) {
    ids = ids.slice();
    means = means.slice();
    const slot = memory.openId % ids.length;
    ids[slot] = memory.openId;
    means[slot] = memory.openSum / memory.openCount;
  }
  return { ...memory, ids, means, openId: id, openSum: load, openCount: 1 };
}

function bucketMean(memory: SeasonalMemory, id: number): number | undefined {
  if (id === memory.openId && memory.openCount > 0) return memory.openSum / memory.openCount;
  const slot = id % memory.ids.length;
  return memory.ids[slot] === id ? memory.means[slot] : undefined;
}

/** The remembered load at `at`, interpolated linearly between the centres of its neighbouring buckets. */
function valueAt(memory: SeasonalMemory, at: number): number | undefined {
  const position = at / memory.bucketMs - 0.5;
  const left = Math.floor(position);
  const a = bucketMean(memory, left);
  const b = bucketMean(memory, left + 1);
  if (a === undefined || b === undefined) return a ?? b;
  return a + (b - a) * (position - left);
}

export interface SeasonalForecast {
  /** The load to plan for: today's load × a rise that recurred. */
  load: number;
  /** The rise over the horizon (1 = flat) that at least `minDays` comparable days showed, after the cap. */
  growth: number;
  /** Comparable days that rose at least that much, and comparable days seen. */
  days: number;
  comparable: number;
  /** Whether the cap cut the rise. */
  capped: boolean;
  /** How today compares with the day the rise was taken from (1 = the same level). */
  level: number;
}

export interface SeasonalOptions {
  /** A past day counts when today's load is within this ratio of its load at the same time. */
  levelRange: readonly [number, number];
  /** A rise is planned for only when at least this many comparable days showed it. */
  minDays: number;
  /** The largest rise planned for from memory. */
  maxGrowth: number;
}

const PAST_DAYS = [1, 2, 3, 4, 5, 6, 7];

/** The highest remembered load between `from` and `from + horizonMs`. */
function highestAhead(memory: SeasonalMemory, from: number, horizonMs: number, then: number): number {
  // The curve between bucket centres is linear, so its highest point over the horizon is at an
  // end or at a centre in between.
  let ahead = Math.max(then, valueAt(memory, from + horizonMs) ?? then);
  for (let id = Math.ceil(from / memory.bucketMs - 0.5); (id + 0.5) * memory.bucketMs < from + horizonMs; id++) {
    ahead = Math.max(ahead, bucketMean(memory, id) ?? 0);
  }
  return ahead;
}

/**
 * Pre-scaling only for what recurs. For each of the last seven days at today's level (within
 * `levelRange` of today's load at this time: a holiday is not compared with a working day, nor a
 * Saturday with a Friday), the rise from this time to the highest load over the horizon. The rise
 * planned for is the one at least `minDays` of those days showed (the `minDays`-th largest), capped
 * at `maxGrowth`: a one-off flash crowd yesterday is not replayed today. Undefined without enough
 * comparable days or when no rise recurs.
 */
export function seasonalForecast(
  memory: SeasonalMemory | undefined,
  now: number,
  horizonMs: number,
  currentLoad: number,
  options: SeasonalOptions,
): SeasonalForecast | undefined {
  if (!memory || currentLoad <= 0) return undefined;
  const rises: { growth: number; level: number }[] = [];
  for (const days of PAST_DAYS) {
    const from = now - days * DAY_MS;
    const then = valueAt(memory, from);
    if (then === undefined || then <= 0) continue;
    const level = currentLoad / then;
    if (level < options.levelRange[0] || level > options.levelRange[1]) continue;
    rises.push({ growth: highestAhead(memory, from, horizonMs, then) / then, level });
  }
  rises.sort((a, b) => b.growth - a.growth);
  const recurring = rises[options.minDays - 1];
  if (!recurring || recurring.growth <= 1) return undefined;
  const growth = Math.min(recurring.growth, options.maxGrowth);
  return {
    load: currentLoad * growth,
    growth,
    days: rises.filter((r) => r.growth >= recurring.growth).length,
    comparable: rises.length,
    capped: growth < recurring.growth,
    level: recurring.level,
  };
}
