/**
 * The autoscaler's state as stored in its ConfigMap: bounded, read back part by part, and written
 * only when something worth keeping changed.
 *
 * Size, worst case (operator/autoscaler/state-codec.test.ts builds it: every component with a full
 * week and a day of seasonal memory, 12 recent samples, a full scale-down window of
 * MAX_WINDOW_RECOMMENDATIONS, a start-up being timed; every SLA class's and queue's curve and
 * estimate; every number at full length): ~30 KiB of the 32 KiB STATE_SIZE_LIMIT_BYTES.
 * - Seasonal memory, 4.7 kB per component: 2,304 five-minute means, each two base64url
 *   characters on a logarithmic scale (0.34 % steps from 1e-4 to 1e10, far finer than the load's
 *   own noise); slot ids are implied by the ring position.
 * - Recent samples and the scale-down window as `[at, value]` pairs, ~0.4 and ~0.6 kB per component.
 * - What the policy learned, ~1.7 kB: per SLA class and per queue the latency curve's sufficient
 *   statistics (downstream.ts: weight and the weighted sums of x, y, x², xy, y², exactly as the
 *   policy holds them, so a new leader's fit, and the cap it sets, is the old leader's), base
 *   latencies, job durations and p95/mean, CPU per request and per query; per component the
 *   smoothed start-up time (startup.ts).
 *
 * Writes: the recent samples, the open bucket's running sum, the smoothed estimates and the
 * curves' sums move every run; storing them each time would rewrite the document on each of the
 * day's 5,760 runs (~160 MB of etcd writes a day). `needsWrite` compares with what is stored and
 * writes when
 * - a seasonal bucket closes (every 5 minutes: 288 a day) — which also stores the curves' sums,
 *   estimates and samples as they are then, so a new leader's curves lag the old one's by at
 *   most 20 runs of their ~500-run memory;
 * - replicas, the scale-down floor or the last scale time change;
 * - a curve starts or stops setting a cap (enough weight and a sure slope, downstream.ts): that
 *   changes a decision, so it is written at once;
 * - a start-up time is learned or moves 10 %, an estimate moves 20 % from the stored value
 *   (compared with what is stored, so a value hovering at a step does not write on every run).
 * Measured over 8.5 busy days with both kinds of curve learned (state-codec.test.ts): ~400 writes a
 * day, 11 MB of etcd writes at 27.6 kB (a grid of 20 % steps, compared run to run, wrote ~870).
 */
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import { COMPONENTS, WORKER_QUEUES, type Component } from '../../platform-api/v1alpha1/index.js';
import { fitLine, utilisationCeiling, type WeightedFit } from './downstream.js';
import { emptySeasonalMemory } from './forecast.js';
import {
  isRecord,
  nonNegativeNumber,
  positiveNumber,
  Problems,
  readComponentMemory,
  readKeyed,
  readOptional,
  storedSeasonalSchema,
  weightedFitSchema,
  type StoredSeasonal,
} from './state-schema.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, ComponentMemory, SeasonalMemory } from './types.js';

export const STATE_SIZE_LIMIT_BYTES = 32 * 1024;

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CODES = DIGITS.length ** 2;
/** Code 0: no mean for the slot; 1: zero; 2…: MIN_LOAD × STEP^(code − 2). */
const MIN_LOAD = 1e-4;
const STEP = Math.exp(Math.log(1e10 / MIN_LOAD) / (CODES - 3));

function encodeMean(mean: number | undefined): string {
  let code = 0;
  if (mean !== undefined && Number.isFinite(mean)) {
    code = mean <= MIN_LOAD / 2 ? 1 : Math.min(CODES - 1, Math.max(2, 2 + Math.round(Math.log(mean / MIN_LOAD) / Math.log(STEP))));
  }
  return (DIGITS[Math.floor(code / DIGITS.length)] ?? 'A') + (DIGITS[code % DIGITS.length] ?? 'A');
}

function decodeMean(text: string): number | undefined {
  const high = DIGITS.indexOf(text[0] ?? '');
  const low = DIGITS.indexOf(text[1] ?? '');
  if (high < 0 || low < 0) throw new Error(`not a stored load: ${text}`);
  const code = high * DIGITS.length + low;
  return code === 0 ? undefined : code === 1 ? 0 : MIN_LOAD * STEP ** (code - 2);
}

/** The bucket id a ring slot holds when the newest closed bucket is `newest` (ids fill slots modulo their count). */
function impliedId(slot: number, newest: number, slots: number): number {
  return newest - ((((newest - slot) % slots) + slots) % slots);
}

function encodeSeasonal(memory: SeasonalMemory): StoredSeasonal {
  const slots = memory.ids.length;
  const newest = memory.openId - 1;
  let means = '';
  for (let slot = 0; slot < slots; slot++) {
    const held = memory.ids[slot] === impliedId(slot, newest, slots);
    means += encodeMean(held ? memory.means[slot] : undefined);
  }
  return { bucketMs: memory.bucketMs, slots, newest, means, openId: memory.openId, openSum: memory.openSum, openCount: memory.openCount };
}

const SEASONAL_BUCKET_MS = POLICY.seasonalBucketSeconds * 1000;
const SEASONAL_SLOTS = emptySeasonalMemory(SEASONAL_BUCKET_MS, POLICY.seasonalSpanSeconds * 1000).ids.length;

function decodeSeasonal(stored: StoredSeasonal): SeasonalMemory {
  // Only the ring the policy keeps: another shape would mix bucket widths, or outgrow the bound.
  if (stored.bucketMs !== SEASONAL_BUCKET_MS || stored.slots !== SEASONAL_SLOTS)
    throw new Error(
      `${stored.slots} buckets of ${stored.bucketMs} ms where the policy keeps ${SEASONAL_SLOTS} of ${SEASONAL_BUCKET_MS} ms`,
    );
  if (stored.means.length !== stored.slots * 2) throw new Error('seasonal memory of the wrong length');
  const ids: number[] = [];
  const means: number[] = [];
  for (let slot = 0; slot < stored.slots; slot++) {
    const mean = decodeMean(stored.means.slice(slot * 2, slot * 2 + 2));
    ids.push(mean === undefined ? -1 : impliedId(slot, stored.newest, stored.slots));
    means.push(mean ?? 0);
  }
  return { bucketMs: stored.bucketMs, ids, means, openId: stored.openId, openSum: stored.openSum, openCount: stored.openCount };
}

/** The format written; version 2 (fits and samples as objects, up to 24 samples) is still read. */
const FORMAT_VERSION = 3;
const READABLE_VERSIONS: readonly unknown[] = [2, FORMAT_VERSION];

/**
 * Recent samples stored per component: the trend's whole 180 s window at the default 15 s
 * interval, so a new leader forecasts as the old one would; at 5 s, the newest minute (the trend
 * needs 45 s).
 */
const STORED_RECENT_SAMPLES = 12;

const fitArray = (f: WeightedFit) => [f.w, f.sx, f.sy, f.sxx, f.sxy, f.syy];
const mapValues = <K extends string, V, W>(record: Partial<Record<K, V>> | undefined, f: (v: V) => W) =>
  record && (Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v as V)])) as Partial<Record<K, W>>);

function storedComponent(memory: ComponentMemory) {
  const { seasonal, recent, recommendations, ...rest } = memory;
  return {
    ...rest,
    recommendations: recommendations.map((r) => [r.at, r.replicas]),
    recent: recent.slice(-STORED_RECENT_SAMPLES).map((s) => [s.at, s.load]),
    ...(seasonal ? { seasonal: encodeSeasonal(seasonal) } : {}),
  };
}

/** The document stored in the ConfigMap (see the module comment for its size). */
export function encodeState(state: AutoscalerState): string {
  const components = Object.fromEntries(
    Object.entries(state.components).map(([name, memory]) => [name, storedComponent(memory as ComponentMemory)]),
  );
  return JSON.stringify({
    ...state,
    version: FORMAT_VERSION,
    components,
    apiLatencyFit: mapValues(state.apiLatencyFit, fitArray),
    replicaDependence: mapValues(state.replicaDependence, fitArray),
  });
}

export interface ReadState {
  /** Undefined when nothing could be read (not JSON, another format): the policy starts fresh. */
  state: AutoscalerState | undefined;
  /** What was dropped and why, one line each; empty when everything was read. */
  problems: string[];
}

/**
 * The state back from a stored document, part by part (state-schema.ts): what cannot be read is
 * left out and named in `problems`, and the policy relearns that part only.
 */
export function readState(text: string): ReadState {
  const problems = new Problems();
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (error) {
    return { state: undefined, problems: [`stored autoscaler state is not JSON (${(error as Error).message}); starting fresh`] };
  }
  if (!isRecord(stored) || !READABLE_VERSIONS.includes(stored.version)) {
    const version = isRecord(stored) ? JSON.stringify(stored.version) : 'none';
    return {
      state: undefined,
      problems: [
        `stored autoscaler state has format version ${version}, this operator reads ${READABLE_VERSIONS.join(' and ')}; starting fresh`,
      ],
    };
  }
  const components: AutoscalerState['components'] = {};
  const storedComponents = isRecord(stored.components) ? stored.components : {};
  if (!isRecord(stored.components)) problems.add('stored components are not a map; starting every component fresh');
  for (const [name, raw] of Object.entries(storedComponents)) {
    if (!(COMPONENTS as readonly string[]).includes(name)) {
      problems.add(`unknown component "${name}" dropped`);
      continue;
    }
    const read = readComponentMemory(name, raw, problems);
    if (!read) continue;
    const memory: ComponentMemory = read.memory;
    const seasonal = readOptional(read.seasonal, storedSeasonalSchema, `component ${name}: seasonal memory`, problems);
    if (seasonal) {
      try {
        memory.seasonal = decodeSeasonal(seasonal);
      } catch (error) {
        problems.add(`component ${name}: seasonal memory unreadable (${(error as Error).message}); relearning it`);
      }
    }
    components[name as Component] = memory;
  }
  const state: AutoscalerState = {
    version: 1,
    components,
    baseLatencySeconds: readKeyed(stored.baseLatencySeconds, SLA_CLASS_NAMES, nonNegativeNumber, 'base latency', problems) ?? {},
    jobDurationSeconds: readKeyed(stored.jobDurationSeconds, WORKER_QUEUES, positiveNumber, 'job duration', problems) ?? {},
  };
  const apiCpu = readOptional(stored.apiCpuSecondsPerRequest, positiveNumber, 'CPU per API request', problems);
  const pgCpu = readOptional(stored.postgresCpuSecondsPerQuery, positiveNumber, 'replica CPU per read query', problems);
  const apiLatencyFit = readKeyed(stored.apiLatencyFit, SLA_CLASS_NAMES, weightedFitSchema, 'API latency curve', problems);
  const replicaDependence = readKeyed(stored.replicaDependence, WORKER_QUEUES, weightedFitSchema, 'job duration curve', problems);
  const jobP95OverMean = readKeyed(stored.jobP95OverMean, WORKER_QUEUES, positiveNumber, 'job p95 / mean', problems);
  if (apiCpu !== undefined) state.apiCpuSecondsPerRequest = apiCpu;
  if (pgCpu !== undefined) state.postgresCpuSecondsPerQuery = pgCpu;
  if (apiLatencyFit) state.apiLatencyFit = apiLatencyFit;
  if (replicaDependence) state.replicaDependence = replicaDependence;
  if (jobP95OverMean) state.jobP95OverMean = jobP95OverMean;
  return { state, problems: problems.lines };
}

/** The state back from a stored document (readState without its problems). */
export function decodeState(text: string): AutoscalerState | undefined {
  return readState(text).state;
}

/** What must be stored when it changes, apart from what the policy learned (learnedMoved). */
export function durableKey(state: AutoscalerState): string {
  const components = Object.fromEntries(
    Object.entries(state.components).map(([name, c]) => [
      name,
      {
        replicas: c.replicas,
        lastScaleUpAt: c.lastScaleUpAt,
        lastScaleDownAt: c.lastScaleDownAt,
        // The scale-down floor: the window's highest recommendation.
        floor: c.recommendations[0]?.replicas,
        // Closed buckets change only when a new one opens.
        seasonal: c.seasonal?.openId,
      },
    ]),
  );
  return JSON.stringify(components);
}

/** How far a smoothed estimate may drift from the stored one before it is written on its own. */
const ESTIMATE_DRIFT = 0.2;
/** A learned start-up time moves the forecast horizon; 10 % of it is a few seconds. */
const STARTUP_DRIFT = 0.1;

const drifted = (stored: number | undefined, now: number | undefined, share: number) =>
  stored === undefined || now === undefined ? stored !== now : Math.abs(now - stored) > share * Math.abs(stored);

function anyDrifted<K extends string>(
  stored: Partial<Record<K, number>> | undefined,
  now: Partial<Record<K, number>> | undefined,
  keys: readonly K[],
  share: number,
) {
  return keys.some((key) => drifted(stored?.[key], now?.[key], share));
}

/** Whether the policy acts on a curve: enough weight, and a slope utilisationCeiling trusts. */
export function curveSetsCap(fit: WeightedFit | undefined): boolean {
  const line = fitLine(fit, POLICY.downstreamMinWeight);
  const trust = {
    minSlopeT: POLICY.downstreamMinSlopeT,
    minSpreadX: POLICY.downstreamMinSpreadX,
    floor: POLICY.downstreamFloorUtilization,
  };
  // A bound every line reaches: the ceiling is defined exactly when the line is trusted.
  return utilisationCeiling(line, Number.MAX_VALUE, trust) !== undefined;
}

/**
 * Whether what the policy learned changed enough to be written before the next closed bucket
 * does it anyway (see the module comment): a curve started or stopped setting a cap, a start-up
 * time was learned or moved 10 %, an estimate moved 20 %.
 */
function learnedMoved(stored: AutoscalerState, now: AutoscalerState): boolean {
  if (SLA_CLASS_NAMES.some((c) => curveSetsCap(stored.apiLatencyFit?.[c]) !== curveSetsCap(now.apiLatencyFit?.[c]))) return true;
  if (WORKER_QUEUES.some((q) => curveSetsCap(stored.replicaDependence?.[q]) !== curveSetsCap(now.replicaDependence?.[q]))) return true;
  const startup = (state: AutoscalerState) => Object.fromEntries(COMPONENTS.map((c) => [c, state.components[c]?.startupSeconds]));
  return (
    anyDrifted(startup(stored), startup(now), COMPONENTS, STARTUP_DRIFT) ||
    anyDrifted(stored.baseLatencySeconds, now.baseLatencySeconds, SLA_CLASS_NAMES, ESTIMATE_DRIFT) ||
    anyDrifted(stored.jobDurationSeconds, now.jobDurationSeconds, WORKER_QUEUES, ESTIMATE_DRIFT) ||
    drifted(stored.apiCpuSecondsPerRequest, now.apiCpuSecondsPerRequest, ESTIMATE_DRIFT) ||
    drifted(stored.postgresCpuSecondsPerQuery, now.postgresCpuSecondsPerQuery, ESTIMATE_DRIFT)
  );
}

/**
 * Whether `now` must be written over `stored` (the state the ConfigMap holds): something durable
 * changed (durableKey), or what the policy learned moved (learnedMoved). Compared with what was
 * stored, not with the previous run, so a slow drift is written once it adds up and a value
 * hovering at a threshold does not write on every run.
 */
export function needsWrite(stored: AutoscalerState | undefined, now: AutoscalerState): boolean {
  return !stored || durableKey(stored) !== durableKey(now) || learnedMoved(stored, now);
}
