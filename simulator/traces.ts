/**
 * Load traces: request rates per SLA class and job arrivals per queue as functions of time.
 * Each is a scenario from the seed or from the campus calendar; randomness (per-request
 * arrivals) is added by the model, so a trace itself is a smooth, deterministic curve.
 */
import { SLA_CLASS_NAMES, type SlaClass } from '../core/sla.js';
import type { WorkerQueue } from '../platform-api/v1alpha1/index.js';
import { Random } from './random.js';
import { TYPICAL_JOBS, TYPICAL_MIX } from './workload.js';

export interface LoadPoint {
  requests: Record<SlaClass, number>;
  jobs: Record<WorkerQueue, number>;
}

/** Jobs enqueued at once; `prioritized` ones go to BullMQ's `prioritized` set, invisible to a `wait`-list length. */
export interface Batch {
  atSeconds: number;
  queue: WorkerQueue;
  count: number;
  prioritized: boolean;
}

export interface Trace {
  name: string;
  description: string;
  /** Wall-clock start (epoch ms): time of day and weekday matter to seasonal forecasts. */
  startAt: number;
  durationSeconds: number;
  /**
   * Load before `startAt` that the platform has already lived through (`load` takes negative
   * seconds down to minus this): every policy runs it, nothing is measured. A deployment always has
   * a past; without one a forecast from yesterday or last week could never act.
   */
  historySeconds?: number;
  /** Moments the load steps up; the report measures how long the SLA takes to recover after each. */
  steps: number[];
  load(seconds: number): LoadPoint;
  batches: Batch[];
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Piecewise-linear k6 stages: [duration seconds, target] from a start value. */
export function stages(seconds: number, plan: readonly (readonly [number, number])[], start = 0): number {
  let from = start;
  let t = seconds;
  for (const [duration, target] of plan) {
    if (t <= duration) return from + ((target - from) * t) / duration;
    t -= duration;
    from = target;
  }
  return from;
}

export function scaledMix(scale: number, overrides: Partial<Record<SlaClass, number>> = {}): Record<SlaClass, number> {
  const mix = {} as Record<SlaClass, number>;
  for (const c of SLA_CLASS_NAMES) mix[c] = overrides[c] ?? TYPICAL_MIX[c] * scale;
  return mix;
}

export function jobs(scale: number, overrides: Partial<Record<WorkerQueue, number>> = {}): Record<WorkerQueue, number> {
  return { uploads: overrides.uploads ?? TYPICAL_JOBS.uploads * scale, reports: overrides.reports ?? TYPICAL_JOBS.reports * scale };
}

/** Linear interpolation between (x, y) points sorted by x; the last y beyond them. */
function piecewise(x: number, points: readonly (readonly [number, number])[]): number {
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i] as readonly [number, number];
    const [x0, y0] = points[i - 1] as readonly [number, number];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points[points.length - 1]?.[1] ?? 0;
}

/** Smooth step from 0 to 1 over [start, start + duration]. */
export function ramp(seconds: number, start: number, duration: number): number {
  return Math.min(1, Math.max(0, (seconds - start) / duration));
}

/**
 * Seed 000's two k6 scripts run together: the auth test (2m→100, 5m, 2m→200, 5m, 2m→500, 10m,
 * 2m→0 VUs, one login per VU per ~1.15 s) and the search test (3m→200, 10m→500, 5m→1000, 10m, 3m→0
 * VUs, 1–3 s think time), over a quiet background.
 */
export function k6RampTrace(): Trace {
  const auth = [
    [2 * MINUTE, 100],
    [5 * MINUTE, 100],
    [2 * MINUTE, 200],
    [5 * MINUTE, 200],
    [2 * MINUTE, 500],
    [10 * MINUTE, 500],
    [2 * MINUTE, 0],
  ] as const;
  const search = [
    [3 * MINUTE, 200],
    [10 * MINUTE, 500],
    [5 * MINUTE, 1000],
    [10 * MINUTE, 1000],
    [3 * MINUTE, 0],
  ] as const;
  return {
    name: 'k6-ramp',
    description: "seed 000's auth and search k6 stages together (500 + 1,000 VUs)",
    startAt: Date.UTC(2025, 2, 4, 14, 0),
    durationSeconds: 35 * MINUTE,
    steps: [0, 7 * MINUTE, 13 * MINUTE, 14 * MINUTE],
    load: (t) => {
      const background = scaledMix(0.2);
      return {
        requests: {
          ...background,
          auth: background.auth + stages(t, auth) / 1.15,
          student_queries: background.student_queries + stages(t, search) / 2.2,
        },
        jobs: jobs(0.2),
      };
    },
    batches: [],
  };
}

/** Share of the typical load over a school day at the gates: night, waking from 05:00, the day's peak at noon. */
function gateDayShape(hour: number): number {
  return piecewise(hour, [
    [0, 0.1],
    [5, 0.1],
    [6.5, 0.5],
    [8.5, 1],
    [12, 1.2],
    [17, 0.8],
    [22, 0.2],
    [24, 0.1],
  ]);
}

/**
 * A morning at the gates: from 07:45 verifications go from 15/s to 150/s within five minutes,
 * students open the app and log in; the rush lasts half an hour and ebbs over fifteen minutes.
 * The platform has run the day before (history, not measured): the same school day at a level
 * 10 % higher or lower and a rush a few minutes earlier or later, drawn from the seed, so a
 * forecast from yesterday sees the rush coming but not its exact size or minute.
 */
export function gateRushTrace(seed = 1): Trace {
  const rushStart = 75 * MINUTE;
  const random = new Random(seed ^ 0x6a7e);
  const yesterdayLevel = 1 + 0.1 * random.normal();
  const yesterdayRush = rushStart - DAY + Math.round(random.between(-5, 5)) * MINUTE;
  const opening = 6.5;
  return {
    name: 'gate-rush',
    description: 'morning gate rush: pass verifications 10x in 5 minutes (after a day of history)',
    startAt: Date.UTC(2025, 2, 4, 6, 30),
    durationSeconds: 2 * HOUR,
    historySeconds: DAY,
    steps: [rushStart],
    load: (t) => {
      const today = t >= 0;
      const level = today ? 1 : yesterdayLevel;
      const start = today ? rushStart : yesterdayRush;
      const hour = (((opening + t / HOUR) % 24) + 24) % 24;
      const wake = level * gateDayShape(hour);
      const rush = ramp(t, start, 5 * MINUTE) - ramp(t, start + 30 * MINUTE, 15 * MINUTE);
      return {
        requests: scaledMix(wake, {
          pass_generation: TYPICAL_MIX.pass_generation * wake + level * (15 + 135 * rush),
          auth: TYPICAL_MIX.auth * wake * (1 + 3 * rush),
          student_queries: TYPICAL_MIX.student_queries * wake * (1 + rush),
        }),
        jobs: jobs(wake),
      };
    },
    batches: [],
  };
}

/**
 * Month end: at midnight the scheduler enqueues 600 monthly reports with a batch priority, and
 * for an hour staff request reports ten times and open analytics five times as often as in the evening.
 */
export function monthEndTrace(): Trace {
  const midnight = 2 * HOUR;
  return {
    name: 'month-end',
    description: 'month-end burst: 600 batch reports at midnight, interactive reports 10x, analytics 5x',
    startAt: Date.UTC(2025, 2, 31, 22, 0),
    durationSeconds: 4 * HOUR,
    steps: [midnight],
    load: (t) => {
      const burst = ramp(t, midnight, 10 * MINUTE) - ramp(t, midnight + HOUR, 30 * MINUTE);
      const evening = 0.3;
      return {
        requests: scaledMix(evening, {
          analytics: TYPICAL_MIX.analytics * (evening + 4 * burst),
          reports: TYPICAL_MIX.reports * (evening + 3 * burst),
        }),
        jobs: jobs(evening, { reports: TYPICAL_JOBS.reports * (evening + 3 * burst) }),
      };
    },
    batches: [{ atSeconds: midnight, queue: 'reports', count: 600, prioritized: true }],
  };
}

/**
 * The evening of an application deadline: 5 MB document uploads grow from 1/s at 20:00 to 12/s by
 * 23:30, hold until 23:59, then stop; every upload becomes an `uploads` job, 5 % retried once.
 */
export function uploadDeadlineTrace(): Trace {
  const deadline = 3 * HOUR + 59 * MINUTE;
  return {
    name: 'upload-deadline',
    description: 'application deadline: uploads 1/s → 12/s over 3.5 h, stop at 23:59',
    startAt: Date.UTC(2025, 2, 14, 20, 0),
    durationSeconds: 4.5 * HOUR,
    steps: [3 * HOUR],
    load: (t) => {
      const growth = t < deadline ? Math.min(12, Math.exp((Math.log(12) * t) / (3.5 * HOUR))) : 0.3;
      return {
        requests: scaledMix(0.3, { uploads: growth, student_queries: TYPICAL_MIX.student_queries * 0.3 + 4 * growth }),
        jobs: jobs(0.3, { uploads: growth }),
      };
    },
    batches: [],
  };
}

/** Share of the typical load at an hour of a weekday: night, the 07:30 gate rush, lectures, lunch, evening. */
export function weekdayShape(hour: number): number {
  return piecewise(hour, [
    [0, 0.06],
    [5, 0.04],
    [6.5, 0.2],
    [7.5, 0.9],
    [8, 1.6],
    [8.5, 1],
    [10, 1],
    [12, 1.35],
    [13, 1.2],
    [15, 1],
    [17, 0.8],
    [19, 0.45],
    [22, 0.2],
    [24, 0.06],
  ]);
}

/**
 * A week from Monday 00:00: weekday curve (gate rush at 08:00, lunch peak), quieter weekend, each
 * day 10 % louder or quieter than the last at random (seeded), with slow drift within the day.
 * The week before runs first as history (its own random levels, not measured): Monday morning is
 * then forecast from last Monday, as it would be in a running deployment, not only from its trend.
 * `length` shortens it (tests): the first `days` of the week after the last `historyDays` of the one before.
 */
export function weekTrace(seed: number, length: { days: number; historyDays: number } = { days: 7, historyDays: 7 }): Trace {
  const week = 7 * DAY;
  const random = new Random(seed ^ 0x5eed);
  const dayLevels = Array.from({ length: 7 }, () => 1 + 0.1 * random.normal());
  const drift = Array.from({ length: 7 * 48 }, () => 1 + 0.05 * random.normal());
  // Drawn from a generator of its own, so the measured week is the same with or without a past.
  const past = new Random(seed ^ 0x1a57);
  const pastDayLevels = Array.from({ length: 7 }, () => 1 + 0.1 * past.normal());
  const pastDrift = Array.from({ length: 7 * 48 }, () => 1 + 0.05 * past.normal());
  return {
    name: 'week',
    description: 'a week with daily seasonality (weekday peaks at 08:00 and noon, quiet weekend), after a week of history',
    startAt: Date.UTC(2025, 2, 3, 0, 0),
    durationSeconds: length.days * DAY,
    historySeconds: length.historyDays * DAY,
    steps: Array.from({ length: Math.min(5, length.days) }, (_, day) => day * DAY + 7.5 * HOUR),
    load: (t) => {
      const sinceMonday = t < 0 ? t + week : t;
      const day = Math.floor(sinceMonday / DAY);
      const hour = (sinceMonday % DAY) / HOUR;
      const weekend = day >= 5 ? 0.3 : 1;
      const levels = t < 0 ? pastDayLevels : dayLevels;
      const drifts = t < 0 ? pastDrift : drift;
      const level = (levels[day] ?? 1) * (drifts[Math.floor(sinceMonday / (30 * MINUTE))] ?? 1);
      const scale = weekdayShape(hour) * weekend * level;
      const gate = hour >= 7.5 && hour < 8.5 ? 1 - Math.abs(hour - 8) * 2 : 0;
      return {
        requests: scaledMix(scale, { pass_generation: TYPICAL_MIX.pass_generation * scale * (1 + 2.5 * gate * weekend) }),
        jobs: jobs(scale),
      };
    },
    batches: [],
  };
}

export function allTraces(seed: number): Trace[] {
  return [k6RampTrace(), gateRushTrace(seed), monthEndTrace(), uploadDeadlineTrace(), weekTrace(seed)];
}
