/**
 * The autoscaler's state as stored in its ConfigMap: bounded, and comparable so it is written only
 * when something worth keeping changed.
 *
 * Size: the seasonal memory (8 days of 5-minute load means, 2,304 per component) dominates. Each
 * mean is stored as two base64url characters on a logarithmic scale (0.34 % steps from 1e-4 to
 * 1e10, far finer than the load's own noise), slot ids are implied by the ring position, so a
 * component's week costs 4.6 kB and the whole document stays under STATE_SIZE_LIMIT_BYTES.
 *
 * Writes: the recent samples, the open bucket's running sum and the smoothed estimates move every
 * run; storing them each time would rewrite the document every interval (GBs of etcd writes a
 * day). `durableKey` leaves them out (estimates count in 20 % steps): the document is written
 * when replicas, a closed seasonal bucket, the scale-down floor or an estimate's 20 % step
 * changes — about 400 times a day instead of 5,760. A new leader then starts from a state at most one bucket old, and its trend
 * rebuilds within a few intervals.
 */
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

interface StoredSeasonal {
  bucketMs: number;
  slots: number;
  /** Newest bucket the ring may hold: every slot's id follows from it. */
  newest: number;
  means: string;
  openId: number;
  openSum: number;
  openCount: number;
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

function decodeSeasonal(stored: StoredSeasonal): SeasonalMemory {
  if (!Number.isInteger(stored.slots) || stored.slots <= 0 || stored.means.length !== stored.slots * 2)
    throw new Error('seasonal memory of the wrong length');
  const ids: number[] = [];
  const means: number[] = [];
  for (let slot = 0; slot < stored.slots; slot++) {
    const mean = decodeMean(stored.means.slice(slot * 2, slot * 2 + 2));
    ids.push(mean === undefined ? -1 : impliedId(slot, stored.newest, stored.slots));
    means.push(mean ?? 0);
  }
  return { bucketMs: stored.bucketMs, ids, means, openId: stored.openId, openSum: stored.openSum, openCount: stored.openCount };
}

type StoredComponent = Omit<ComponentMemory, 'seasonal'> & { seasonal?: StoredSeasonal };
type StoredState = Omit<AutoscalerState, 'components' | 'version'> & { version: 2; components: Record<string, StoredComponent> };

/** Recent samples stored per component: the trend's window at the shortest interval the spec allows would be more. */
const STORED_RECENT_SAMPLES = 24;

function toStored(state: AutoscalerState): StoredState {
  const components: Record<string, StoredComponent> = {};
  for (const [name, memory] of Object.entries(state.components)) {
    const { seasonal, ...rest } = { ...memory, recent: memory.recent.slice(-STORED_RECENT_SAMPLES) };
    components[name] = seasonal ? { ...rest, seasonal: encodeSeasonal(seasonal) } : rest;
  }
  return { ...state, version: 2, components };
}

/** The document stored in the ConfigMap. */
export function encodeState(state: AutoscalerState): string {
  return JSON.stringify(toStored(state));
}

/** The state back from a stored document; undefined for a document this version cannot read (the policy relearns). */
export function decodeState(text: string): AutoscalerState | undefined {
  try {
    const stored = JSON.parse(text) as Partial<StoredState>;
    if (stored.version !== 2 || typeof stored.components !== 'object' || stored.components === null) return undefined;
    const components: AutoscalerState['components'] = {};
    for (const [name, memory] of Object.entries(stored.components)) {
      const { seasonal, ...rest } = memory;
      (components as Record<string, ComponentMemory>)[name] = seasonal ? { ...rest, seasonal: decodeSeasonal(seasonal) } : rest;
    }
    return { ...(stored as StoredState), version: 1, components };
  } catch {
    return undefined;
  }
}

/** An estimate's 20 % step: the smoothed estimates wander by a few percent from run to run. */
const roughly = (value: number | undefined) => (value === undefined ? null : value <= 0 ? 0 : Math.round(Math.log(value) / Math.log(1.2)));

/** What must be stored when it changes: the state without what moves every run (see the module comment). */
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
  return JSON.stringify({
    components,
    baseLatencySeconds: Object.fromEntries(Object.entries(state.baseLatencySeconds).map(([k, v]) => [k, roughly(v)])),
    jobDurationSeconds: Object.fromEntries(Object.entries(state.jobDurationSeconds).map(([k, v]) => [k, roughly(v)])),
    apiCpuSecondsPerRequest: roughly(state.apiCpuSecondsPerRequest),
    postgresCpuSecondsPerQuery: roughly(state.postgresCpuSecondsPerQuery),
  });
}
