/**
 * Held-out traces: shapes the policy was not developed on, drawn at run time from a seed
 * (`npm run simulate -- --held-out <seed>`; CI picks the seed from the date and prints it), so the
 * repository holds no copy of them to fit. Each family has its day-to-day noise, and the seed moves
 * its event in time and size:
 * - `flash-crowd`: two ordinary weekdays of history, then a measured day with a one-off crowd
 *   (5–10× for 20–60 min at a random hour), then a measured ordinary day: a policy must not replay
 *   the crowd the next day (simulator/held-out.test.ts checks it);
 * - `holiday`: weekdays, then a holiday at a third of the load with no morning gate rush, then a
 *   weekday again: no pre-scaling for a rush that does not come;
 * - `slow-growth`: load growing 5–15 % a day for five days (a term starting): following it, not lagging it.
 */
import { familySeed, Random } from './random.js';
import { jobs, ramp, scaledMix, weekdayShape, type Trace } from './traces.js';
import { TYPICAL_MIX } from './workload.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
/** A Monday; the held-out weeks start here. */
const MONDAY = Date.UTC(2025, 4, 5);

/** The weekday curve with its gate rush (pass verifications ×3.5 around 08:00), at `level`. */
function weekday(hour: number, level: number, rush: boolean) {
  const scale = weekdayShape(hour) * level;
  const gate = rush && hour >= 7.5 && hour < 8.5 ? 1 - Math.abs(hour - 8) * 2 : 0;
  return { scale, passes: TYPICAL_MIX.pass_generation * scale * (1 + 2.5 * gate) };
}

function noise(random: Random, days: number): number[] {
  return Array.from({ length: days * 48 }, () => 1 + 0.05 * random.normal());
}

export function flashCrowdTrace(seed: number): Trace {
  const random = new Random(familySeed('flash-crowd', seed));
  // On the first measured day, so the second (measured too) shows whether the crowd is replayed.
  const crowdAt = Math.round(random.between(9, 20) * HOUR);
  const crowdLength = Math.round(random.between(20, 60)) * 60;
  const crowdSize = random.between(5, 10);
  const drift = noise(random, 4);
  return {
    name: 'flash-crowd',
    description: `one-off crowd ×${crowdSize.toFixed(1)} for ${crowdLength / 60} min at ${(crowdAt / HOUR).toFixed(1)} h on the first day, then an ordinary day (held out, seed ${seed})`,
    startAt: MONDAY + DAY,
    durationSeconds: 2 * DAY,
    historySeconds: 2 * DAY,
    steps: [crowdAt],
    load: (t) => {
      const since = t + 2 * DAY;
      const hour = (since % DAY) / HOUR;
      const { scale, passes } = weekday(hour, drift[Math.floor(since / 1800)] ?? 1, true);
      const crowd = 1 + (crowdSize - 1) * (ramp(t, crowdAt, 120) - ramp(t, crowdAt + crowdLength, 300));
      return {
        requests: scaledMix(scale * crowd, { pass_generation: passes * crowd }),
        jobs: jobs(scale),
      };
    },
    batches: [],
  };
}

export function holidayTrace(seed: number): Trace {
  const random = new Random(familySeed('holiday', seed));
  const level = random.between(0.25, 0.4);
  const drift = noise(random, 6);
  return {
    name: 'holiday',
    description: `a holiday at ${(level * 100).toFixed(0)} % of a weekday, no gate rush, then a weekday (held out, seed ${seed})`,
    startAt: MONDAY + 3 * DAY,
    durationSeconds: 2 * DAY,
    historySeconds: 3 * DAY,
    steps: [DAY + 7.5 * HOUR],
    load: (t) => {
      const since = t + 3 * DAY;
      const hour = (since % DAY) / HOUR;
      const holiday = t >= 0 && t < DAY;
      const { scale, passes } = weekday(hour, (holiday ? level : 1) * (drift[Math.floor(since / 1800)] ?? 1), !holiday);
      return { requests: scaledMix(scale, { pass_generation: passes }), jobs: jobs(scale) };
    },
    batches: [],
  };
}

export function slowGrowthTrace(seed: number): Trace {
  const random = new Random(familySeed('slow-growth', seed));
  const growth = random.between(0.05, 0.15);
  const drift = noise(random, 7);
  return {
    name: 'slow-growth',
    description: `load growing ${(growth * 100).toFixed(0)} % a day for five days (held out, seed ${seed})`,
    startAt: MONDAY + 2 * DAY,
    durationSeconds: 3 * DAY,
    historySeconds: 2 * DAY,
    steps: [0, DAY + 7.5 * HOUR, 2 * DAY + 7.5 * HOUR],
    load: (t) => {
      const since = t + 2 * DAY;
      const hour = (since % DAY) / HOUR;
      const level = (1 + growth) ** (since / DAY) * (drift[Math.floor(since / 1800)] ?? 1);
      const { scale, passes } = weekday(hour, level, true);
      return { requests: scaledMix(scale, { pass_generation: passes }), jobs: jobs(scale) };
    },
    batches: [],
  };
}

export function heldOutTraces(seed: number): Trace[] {
  return [flashCrowdTrace(seed), holidayTrace(seed), slowGrowthTrace(seed)];
}
