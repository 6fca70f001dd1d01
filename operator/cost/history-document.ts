/**
 * The replica and price history of one platform as a plain document, and the pure operations the
 * durable store applies to it: append, compact old hours, trim to a retention horizon, encode.
 * Appending is idempotent, so a write retried after a conflict or a crash never counts twice.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { COMPONENTS, type Component, type PriceSpec, type ReplicaChange } from '../../platform-api/v1alpha1/index.js';
import type { PricePeriod } from './prices.js';
import { HOUR_MS, hourStartOf, isHourEntry, replicasAt, type HourEntry, type TimelineEntry } from './timeline.js';

export interface HistoryDocument {
  version: 1;
  /** Per component, entries sorted by time. */
  components: Partial<Record<Component, TimelineEntry[]>>;
  /** Sorted by `from`. */
  prices: PricePeriod[];
}

export function emptyHistory(): HistoryDocument {
  return { version: 1, components: {}, prices: [] };
}

/** Records changes; a change that does not alter the count in effect at its time is dropped. */
export function appendChanges(doc: HistoryDocument, changes: readonly ReplicaChange[]): HistoryDocument {
  const components = { ...doc.components };
  for (const change of [...changes].sort((a, b) => a.at - b.at)) {
    const entries = [...(components[change.component] ?? [])];
    // Hours already compacted are closed: a change inside one is either recorded already (a retried
    // write) or too late to place; the next observed count repairs the latter.
    const lastHour = entries.findLast(isHourEntry);
    if (lastHour && change.at < lastHour[0] + HOUR_MS) continue;
    const at = change.at;
    if (replicasAt(entries, at) === change.replicas && entries.length > 0) continue;
    const index = entries.findIndex((entry) => entry[0] > at);
    const sameTime = entries.findIndex((entry) => entry[0] === at && !isHourEntry(entry));
    if (sameTime >= 0) entries[sameTime] = [at, change.replicas];
    else entries.splice(index < 0 ? entries.length : index, 0, [at, change.replicas]);
    components[change.component] = entries;
  }
  return { ...doc, components };
}

/** Records the price table from `at` on, unless it is the one already in effect. */
export function appendPrices(doc: HistoryDocument, prices: PriceSpec, at: number): HistoryDocument {
  const inEffect = doc.prices.filter((period) => period.from <= at).at(-1);
  if (inEffect && isDeepStrictEqual(inEffect.prices, prices)) return doc;
  const periods = [...doc.prices.filter((period) => period.from !== at), { from: at, prices }];
  return { ...doc, prices: periods.sort((a, b) => a.from - b.from) };
}

/**
 * Folds every whole hour before `before` that holds two or more changes of a component into one
 * hour aggregate. Hours in which prices changed stay raw, so their cost can still be split at
 * the price change; costs computed from the compacted history are the same as from the raw one.
 */
export function compact(doc: HistoryDocument, before: number): HistoryDocument {
  const limit = hourStartOf(before);
  const priceChangeHours = new Set(doc.prices.filter((p) => p.from % HOUR_MS !== 0).map((p) => hourStartOf(p.from)));
  const components: HistoryDocument['components'] = {};
  for (const component of COMPONENTS) {
    const entries = doc.components[component];
    if (entries) components[component] = compactTimeline(entries, limit, priceChangeHours);
  }
  return { ...doc, components };
}

function compactTimeline(entries: readonly TimelineEntry[], limit: number, keepRaw: Set<number>): TimelineEntry[] {
  const result: TimelineEntry[] = [];
  let index = 0;
  while (index < entries.length) {
    const entry = entries[index] as TimelineEntry;
    const hour = hourStartOf(entry[0]);
    let end = index;
    while (end < entries.length && !isHourEntry(entries[end] as TimelineEntry) && hourStartOf((entries[end] as TimelineEntry)[0]) === hour)
      end++;
    const changesInHour = end - index;
    if (isHourEntry(entry) || changesInHour < 2 || hour + HOUR_MS > limit || keepRaw.has(hour)) {
      result.push(entry);
      index++;
      continue;
    }
    result.push(aggregateHour(hour, replicasAt(result, hour - 1), entries.slice(index, end)));
    index = end;
  }
  return result;
}

function aggregateHour(hour: number, startReplicas: number, changes: readonly TimelineEntry[]): HourEntry {
  let replicaMs = 0;
  let peak = 0;
  let current = startReplicas;
  let since = hour;
  for (const [at, replicas] of changes) {
    if (at > since) peak = Math.max(peak, current);
    replicaMs += current * (at - since);
    current = replicas;
    since = at;
  }
  replicaMs += current * (hour + HOUR_MS - since);
  peak = Math.max(peak, current);
  return [hour, replicaMs, peak, current];
}

/**
 * Forgets everything before `horizon` (an hour boundary), keeping the count each component had
 * then and the price table in effect, so reports from the horizon on are unchanged.
 */
export function trimBefore(doc: HistoryDocument, horizon: number): HistoryDocument {
  const start = hourStartOf(horizon);
  const components: HistoryDocument['components'] = {};
  for (const component of COMPONENTS) {
    const entries = doc.components[component];
    if (!entries) continue;
    const kept = entries.filter((entry) => entry[0] >= start);
    const hadEarlier = kept.length < entries.length;
    components[component] = hadEarlier && kept[0]?.[0] !== start ? [[start, replicasAt(entries, start - 1)], ...kept] : kept;
  }
  const inEffect = doc.prices.filter((period) => period.from <= start).at(-1);
  const prices = doc.prices.filter((period) => period.from > start);
  return { ...doc, components, prices: inEffect ? [{ ...inEffect, from: Math.min(inEffect.from, start) }, ...prices] : prices };
}

/** Earliest time the history holds, or undefined when it is empty. */
export function historyStart(doc: HistoryDocument): number | undefined {
  const starts = Object.values(doc.components).flatMap((entries) => (entries?.[0] ? [entries[0][0]] : []));
  return starts.length ? Math.min(...starts) : undefined;
}

/** The latest recorded count of every component. */
export function latestReplicas(doc: HistoryDocument): Partial<Record<Component, number>> {
  const latest: Partial<Record<Component, number>> = {};
  for (const component of COMPONENTS) {
    const entries = doc.components[component];
    if (entries?.length) latest[component] = replicasAt(entries, Number.POSITIVE_INFINITY);
  }
  return latest;
}

const priceSpecSchema = z.object({
  currency: z.string(),
  vcpuHour: z.number().nonnegative(),
  gibHour: z.number().nonnegative(),
  postgresInstanceHour: z.number().nonnegative(),
  redisNodeHour: z.number().nonnegative(),
  storageGibMonth: z.number().nonnegative(),
  monthlyBudget: z.number().nonnegative().optional(),
  sharedCosts: z.array(z.object({ name: z.string(), monthly: z.number().nonnegative() })).optional(),
});

const entrySchema = z.union([
  z.tuple([z.number().int(), z.number().int().nonnegative()]),
  z.tuple([z.number().int(), z.number().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]),
]);

const documentSchema = z.object({
  version: z.literal(1),
  components: z.partialRecord(z.enum(COMPONENTS), z.array(entrySchema)),
  prices: z.array(z.object({ from: z.number().int(), prices: priceSpecSchema })),
});

export const replicaChangesSchema = z.array(
  z.object({ component: z.enum(COMPONENTS), at: z.number().int(), replicas: z.number().int().nonnegative() }),
);

export function encodeHistory(doc: HistoryDocument): string {
  return JSON.stringify(doc);
}

export function decodeHistory(text: string): HistoryDocument {
  return documentSchema.parse(JSON.parse(text)) as HistoryDocument;
}
