/**
 * The predictive part: load a component will see once a replica started now is serving.
 * Two views, both only ever used to scale *up* ahead of time:
 * - the short-term trend (least-squares slope over the last few minutes), for ramps;
 * - seasonality: what happened at the same time yesterday and a week ago, scaled to today's level.
 * Both work on one number per component ("load": requests/s, jobs/s, cores), updated immutably.
 */
import type { LoadSample, SeasonalMemory } from './types.js';

const DAY_MS = 86_400_000;
const SEASONAL_LAGS_MS = [DAY_MS, 7 * DAY_MS];

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
  if (slopePerMs <= 0 || varL === 0 || (cov * cov) / (varT * varL) < minFit) return undefined;
  const nowOnLine = meanL - slopePerMs * meanT;
  return nowOnLine + slopePerMs * horizonMs;
}

export function emptySeasonalMemory(bucketMs: number, spanMs: number): SeasonalMemory {
  const slots = Math.ceil(spanMs / bucketMs);
  return { bucketMs, ids: new Array<number>(slots).fill(-1), means: new Array<number>(slots).fill(0), openId: -1, openSum: 0, openCount: 0 };
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
  /** The highest load expected over the horizon. */
  load: number;
  /**
   * How today's load compares with the day it was forecast from (unclamped; 1 = the same level):
   * near 1 the pattern repeats and the forecast can be trusted over a short-term trend.
   */
  level: number;
}

/**
 * The highest load seen between `now - lag` and `now - lag + horizon` (a day and a week back;
 * buckets are interpolated, so a short horizon does not reach a whole bucket ahead),
 * times how today's level compares with that day's at `now - lag`; a day whose level is outside
 * `levelRange` is skipped. Undefined without a usable day.
 */
export function seasonalForecast(
  memory: SeasonalMemory | undefined,
  now: number,
  horizonMs: number,
  currentLoad: number,
  levelRange: readonly [number, number],
): SeasonalForecast | undefined {
  if (!memory) return undefined;
  let best: SeasonalForecast | undefined;
  for (const lag of SEASONAL_LAGS_MS) {
    const then = valueAt(memory, now - lag);
    if (then === undefined) continue;
    // The curve between bucket centres is linear, so its highest point over the horizon is at an
    // end or at a centre in between.
    let ahead = Math.max(then, valueAt(memory, now - lag + horizonMs) ?? then);
    for (let id = Math.ceil((now - lag) / memory.bucketMs - 0.5); (id + 0.5) * memory.bucketMs < now - lag + horizonMs; id++) {
      ahead = Math.max(ahead, bucketMean(memory, id) ?? 0);
    }
    const level = then > 0 ? currentLoad / then : 1;
    // A day at a very different level (a Saturday after a Friday) says nothing about today's shape.
    if (level < levelRange[0] || level > levelRange[1]) continue;
    const load = ahead * level;
    if (!best || load > best.load) best = { load, level };
  }
  return best;
}
