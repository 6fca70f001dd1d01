/**
 * Seasonal pre-scaling only for what recurs: a morning rush seen on several working days is
 * planned for ahead of time (and the decision says so); a one-off flash crowd yesterday is not
 * replayed today; a holiday morning is not compared with working days; the rise is capped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { emptySeasonalMemory, recordSeasonal, seasonalForecast, type SeasonalOptions } from './forecast.js';
import { POLICY } from './tuning.js';
import type { AutoscalerState, SeasonalMemory } from './types.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Monday 2 March 2026, 00:00 UTC. */
const MONDAY = Date.UTC(2026, 2, 2);
const OPTIONS: SeasonalOptions = {
  levelRange: POLICY.seasonalLevelRange,
  minDays: POLICY.seasonalMinDays,
  maxGrowth: POLICY.seasonalMaxGrowth,
};
const HORIZON = 15 * MINUTE;

const isWeekend = (at: number) => [0, 6].includes(new Date(at).getUTCDay());
const hourOf = (at: number) => (at % DAY) / 3_600_000;

/** Requests/s: 100 at night, 200 by day on working days, a rush to 600 at 08:00–08:30; weekends 60. */
function workingWeek(at: number): number {
  if (isWeekend(at)) return 60;
  const hour = hourOf(at);
  if (hour >= 8 && hour < 8.5) return 600;
  return hour >= 7 && hour < 18 ? 200 : 100;
}

/** The load of `days` days from `start`, one reading a minute, as the policy records it. */
function remember(start: number, days: number, load: (at: number) => number): SeasonalMemory {
  let memory = emptySeasonalMemory(POLICY.seasonalBucketSeconds * 1000, POLICY.seasonalSpanSeconds * 1000);
  for (let at = start; at < start + days * DAY; at += MINUTE) memory = recordSeasonal(memory, at, load(at));
  return memory;
}

describe('seasonal forecasts', () => {
  // Monday to Friday and the weekend, then the next Monday and Tuesday: the forecast is for Wednesday.
  const wednesday = MONDAY + 9 * DAY;
  const beforeRush = wednesday + 7.8 * 3_600_000;

  it('plans for a rush that followed this time on several comparable days', () => {
    const memory = remember(MONDAY, 9, workingWeek);
    const forecast = seasonalForecast(memory, beforeRush, HORIZON, workingWeek(beforeRush), OPTIONS);
    assert.ok(forecast, 'a forecast');
    assert.ok(forecast.days >= 2, `seen on ${forecast.days} days`);
    assert.equal(forecast.comparable, 5, 'the working days of the last week, not the weekend');
    assert.ok(forecast.load > 500, `plans for the rush: ${forecast.load}`);
  });

  it('does not replay a flash crowd seen on one day only', () => {
    const flashAt = wednesday - DAY + 14 * 3_600_000;
    const withFlash = (at: number) => (at >= flashAt && at < flashAt + 30 * MINUTE ? 2000 : workingWeek(at));
    const memory = remember(MONDAY, 9, withFlash);
    const now = wednesday + 13.9 * 3_600_000;
    assert.equal(seasonalForecast(memory, now, HORIZON, workingWeek(now), OPTIONS), undefined);
  });

  it('does not pre-scale a holiday morning for the working days’ rush', () => {
    const memory = remember(MONDAY, 9, workingWeek);
    // Wednesday is a holiday: 60 requests/s at 07:48, like a weekend.
    const forecast = seasonalForecast(memory, beforeRush, HORIZON, 60, OPTIONS);
    assert.ok(forecast === undefined || forecast.load <= 60 * 1.05, `holiday forecast ${forecast?.load}`);
  });

  it('caps the rise it plans for', () => {
    const tenfold = (at: number) => (!isWeekend(at) && hourOf(at) >= 8 && hourOf(at) < 8.5 ? 2000 : workingWeek(at));
    const memory = remember(MONDAY, 9, tenfold);
    const forecast = seasonalForecast(memory, beforeRush, HORIZON, 200, OPTIONS);
    assert.ok(forecast?.capped);
    assert.equal(forecast.load, 200 * POLICY.seasonalMaxGrowth);
  });

  it('says in the decision that it scaled ahead of a recurring rush', () => {
    const spec: PassPlatformSpec = {
      ...DEFAULT_SPEC,
      image: 'passplatform/app:test',
      version: 'test',
      api: { ...DEFAULT_SPEC.api, maxReplicas: 50 },
    };
    const memory = remember(MONDAY, 9, (at) => workingWeek(at) / 10);
    const signals = (now: number) => {
      const rate = workingWeek(now) / 10;
      return {
        observedAt: now,
        api: { requestRate: { student_queries: rate }, p95LatencySeconds: { student_queries: 0.05 }, cpuCores: rate * 0.05, readyPods: 1 },
      };
    };
    // Readings every interval from 07:48; two minutes before the rush it is within the forecast's horizon.
    const decideAt = wednesday + (7 * 60 + 58) * MINUTE;
    let state: AutoscalerState = initialAutoscalerState({ api: 1 });
    state = { ...state, components: { api: { replicas: 1, recommendations: [], recent: [], seasonal: memory } } };
    let reason = '';
    for (let now = decideAt - 10 * MINUTE; now <= decideAt; now += spec.autoscaling.intervalSeconds * 1000) {
      const result = autoscale(spec, state, signals(now), now);
      state = result.state;
      reason = result.decisions.find((d) => d.component === 'api')?.reason ?? reason;
    }
    assert.match(reason, /seasonal: a rise of \+\d+ % .*recurred on \d of 5 comparable days/);
  });
});
