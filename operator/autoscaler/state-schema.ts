/**
 * Reading a stored autoscaler state part by part. The document is written by this operator, but a
 * ConfigMap can be edited by hand, cut short, or written by another version: every part (each
 * component's memory and each of its fields, each learned estimate and curve) is checked on its
 * own, and a part that does not read is dropped with a line saying so. The policy then relearns
 * that part only, instead of failing every run on it or forgetting everything it learned.
 */
import { z } from 'zod';
import type { WeightedFit } from './downstream.js';
import { MAX_WINDOW_RECOMMENDATIONS } from './stabilizer.js';
import { POLICY } from './tuning.js';
import type { ComponentMemory, LoadSample, Recommendation } from './types.js';

/** zod's number() refuses NaN and ±Infinity: a stored value is finite or it is dropped. */
const finite = z.number();
const count = z.number().int().nonnegative();
export const positiveNumber = z.number().positive();
export const nonNegativeNumber = z.number().nonnegative();
const positive = positiveNumber;

/** Written as `[at, load]`; version 2 documents hold `{ at, load }`. */
export const loadSampleSchema: z.ZodType<LoadSample> = z.union([
  z.tuple([finite, finite]).transform(([at, load]) => ({ at, load })),
  z.object({ at: finite, load: finite }),
]);

/** Written as `[at, replicas]`; version 2 documents hold `{ at, replicas }`. */
export const recommendationSchema: z.ZodType<Recommendation> = z.union([
  z.tuple([finite, count]).transform(([at, replicas]) => ({ at, replicas })),
  z.object({ at: finite, replicas: count }),
]);

/**
 * A latency curve's sufficient statistics, written as `[w, sx, sy, sxx, sxy, syy]`; version 2
 * documents hold the object. The weight is positive and the sums of squares are not negative, or
 * the fit is not one downstream.ts produced.
 */
export const weightedFitSchema: z.ZodType<WeightedFit> = z.union([
  z
    .tuple([positive, finite, finite, finite.nonnegative(), finite, finite.nonnegative()])
    .transform(([w, sx, sy, sxx, sxy, syy]) => ({ w, sx, sy, sxx, sxy, syy })),
  z.object({ w: positive, sx: finite, sy: finite, sxx: finite.nonnegative(), sxy: finite, syy: finite.nonnegative() }),
]);

export const storedSeasonalSchema = z.object({
  bucketMs: z.number().int().positive(),
  slots: z.number().int().positive(),
  newest: z.number().int(),
  means: z.string(),
  openId: z.number().int(),
  openSum: finite,
  openCount: count,
});
export type StoredSeasonal = z.infer<typeof storedSeasonalSchema>;

/** Recent samples the trend's window holds at the shortest interval the spec allows (5 s). */
const MOST_RECENT_SAMPLES = POLICY.trendWindowSeconds / 5;

/** Collects what could not be read, for the caller's log line. */
export class Problems {
  readonly lines: string[] = [];
  add(line: string): void {
    this.lines.push(line);
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unreadable';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** An optional value: undefined when absent, and when present but unreadable (with a problem). */
export function readOptional<T>(value: unknown, schema: z.ZodType<T>, what: string, problems: Problems): T | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.add(`${what} unreadable (${firstIssue(parsed.error)}); relearning it`);
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A record keyed by known names (SLA classes, queues): each entry read on its own. */
export function readKeyed<K extends string, T>(
  value: unknown,
  keys: readonly K[],
  schema: z.ZodType<T>,
  what: string,
  problems: Problems,
): Partial<Record<K, T>> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.add(`${what} is not a map; relearning all of it`);
    return undefined;
  }
  const result: Partial<Record<K, T>> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      problems.add(`${what}: unknown key "${key}" dropped`);
      continue;
    }
    const read = readOptional(entry, schema, `${what} of ${key}`, problems);
    if (read !== undefined) result[key as K] = read;
  }
  return result;
}

/**
 * A list whose entries must all read, else it is dropped whole (they are ordered and belong
 * together); one longer than the policy ever keeps is dropped too, or the state would outgrow its bound.
 */
function readList<T>(value: unknown, schema: z.ZodType<T>, most: number, what: string, problems: Problems): T[] {
  return readOptional(value, z.array(schema).max(most), what, problems) ?? [];
}

/**
 * One component's memory. Without a readable replica count the component is dropped (the caller
 * starts it from the count running now); any other unreadable field is dropped alone.
 */
export function readComponentMemory(
  name: string,
  raw: unknown,
  problems: Problems,
): { memory: Omit<ComponentMemory, 'seasonal'>; seasonal: unknown } | undefined {
  if (!isRecord(raw)) {
    problems.add(`component ${name} is not an object; starting it fresh`);
    return undefined;
  }
  const replicas = count.safeParse(raw.replicas);
  if (!replicas.success) {
    problems.add(`component ${name}: replica count unreadable; starting it fresh from the count running now`);
    return undefined;
  }
  const what = (field: string) => `component ${name}: ${field}`;
  const memory: Omit<ComponentMemory, 'seasonal'> = {
    replicas: replicas.data,
    recommendations: readList(raw.recommendations, recommendationSchema, MAX_WINDOW_RECOMMENDATIONS, what('scale-down window'), problems),
    recent: readList(raw.recent, loadSampleSchema, MOST_RECENT_SAMPLES, what('recent load samples'), problems),
  };
  const lastScaleUpAt = readOptional(raw.lastScaleUpAt, finite, what('last scale-up time'), problems);
  const lastScaleDownAt = readOptional(raw.lastScaleDownAt, finite, what('last scale-down time'), problems);
  const budgetRefused = readOptional(raw.budgetRefused, z.boolean(), what('budget refusal'), problems);
  const startupSeconds = readOptional(raw.startupSeconds, positive, what('learned start-up time'), problems);
  const awaitingReady = readOptional(
    raw.awaitingReady,
    z.object({ since: finite, replicas: count }),
    what('scale-up being timed'),
    problems,
  );
  const readySince = readOptional(raw.readySince, z.object({ ready: count, since: finite }), what('ready count held since'), problems);
  if (lastScaleUpAt !== undefined) memory.lastScaleUpAt = lastScaleUpAt;
  if (lastScaleDownAt !== undefined) memory.lastScaleDownAt = lastScaleDownAt;
  if (budgetRefused !== undefined) memory.budgetRefused = budgetRefused;
  if (startupSeconds !== undefined) memory.startupSeconds = startupSeconds;
  if (awaitingReady !== undefined) memory.awaitingReady = awaitingReady;
  if (readySince !== undefined) memory.readySince = readySince;
  return { memory, seasonal: raw.seasonal };
}
