/**
 * Generalisation on traces this repository does not contain: the held-out families are drawn
 * from a seed at run time (today's date unless HELD_OUT_SEED is set; the test's name prints it, so
 * a failure can be re-run with `HELD_OUT_SEED=<seed> npx tsx scripts/run-tests.ts simulator/held-out.test.ts`
 * or looked at with `npm run simulate -- --held-out <seed>`). Ours remembers load by time of day
 * to scale ahead of what recurs; these check it does not scale ahead of what does not:
 * - the day after a one-off flash crowd, at the crowd's hour, it runs about the fleet it runs
 *   without forecasts (`predictive: false`: the same sizing, no memory), far from the crowd's;
 * - on a holiday morning it does not stand up the working days' gate-rush fleet.
 * The comparison is with ours itself rather than a baseline: ours sizes for lower utilisation than
 * the HPA, so its ordinary fleet is larger, and only what memory adds is in question.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flashCrowdTrace, holidayTrace } from './held-out.js';
import { runTrace, type RunResult } from './run.js';
import { SIMULATED_SPEC } from './workload.js';

/**
 * The simulated platform with room for any crowd a seed draws: at the usual 60 pods a crowd late in
 * the day was cut to the cap, no more than twice the next day's ordinary fleet, and the check could
 * prove nothing (seed 20261205: 60 pods in the crowd, 33 the next evening). The cap is not what is
 * in question here.
 */
const HELD_OUT_SPEC = { ...SIMULATED_SPEC, api: { ...SIMULATED_SPEC.api, maxReplicas: 400 } };
/** Ours without forecasts: what it runs on the measured load alone. */
const REACTIVE_SPEC = { ...HELD_OUT_SPEC, autoscaling: { ...HELD_OUT_SPEC.autoscaling, predictive: false } };

const SEED = Number(process.env.HELD_OUT_SEED ?? new Date().toISOString().slice(0, 10).replaceAll('-', ''));
const DAY_MINUTES = 24 * 60;

/** The most API pods a run held between two minutes of its measured time. */
function mostApiPods(run: RunResult, fromMinute: number, toMinute: number): number {
  return Math.max(...run.series.filter((p) => p.minute >= fromMinute && p.minute < toMinute).map((p) => p.replicas.api));
}

/** What forecasts of the recurring daily curve may add to the reactive fleet: half again, or three pods on a small fleet. */
function nearReactive(reactive: number): number {
  return Math.max(1.5 * reactive, reactive + 3);
}

describe(`held-out traces (seed ${SEED})`, () => {
  it('does not replay a one-off flash crowd the next day', (t) => {
    const trace = flashCrowdTrace(SEED);
    const ours = runTrace(trace, 'ours', HELD_OUT_SPEC, SEED);
    const reactive = runTrace(trace, 'ours', REACTIVE_SPEC, SEED);
    const crowdAt = Math.floor((trace.steps[0] ?? 0) / 60);
    const crowdEnd = crowdAt + 90;
    const crowdFleet = mostApiPods(ours, crowdAt, crowdEnd);
    // The same hours the next day, with half an hour either side for a forecast's horizon.
    const [from, to] = [DAY_MINUTES + crowdAt - 30, DAY_MINUTES + crowdEnd + 30];
    const nextDay = mostApiPods(ours, from, to);
    const reactiveNextDay = mostApiPods(reactive, from, to);
    const context = `${trace.description}: ours ${crowdFleet} API pods in the crowd, ${nextDay} at that hour the next day (without forecasts ${reactiveNextDay})`;
    t.diagnostic(context);
    assert.ok(crowdFleet >= 2 * reactiveNextDay, `the crowd did not need a bigger fleet; the check would prove nothing. ${context}`);
    assert.ok(nextDay <= nearReactive(reactiveNextDay), context);
    assert.ok(nextDay <= crowdFleet / 2, context);
  });

  it('does not pre-scale a holiday morning for the working days’ gate rush', (t) => {
    const trace = holidayTrace(SEED);
    const ours = runTrace(trace, 'ours', HELD_OUT_SPEC, SEED);
    const reactive = runTrace(trace, 'ours', REACTIVE_SPEC, SEED);
    // The working days' rush is at 07:30–08:30; the holiday is the first measured day.
    const [from, to] = [7 * 60, 9 * 60];
    const holiday = mostApiPods(ours, from, to);
    const reactiveHoliday = mostApiPods(reactive, from, to);
    const rushDay = mostApiPods(ours, DAY_MINUTES + from, DAY_MINUTES + to);
    const context = `${trace.description}: ours ${holiday} API pods on the holiday morning (without forecasts ${reactiveHoliday}), ${rushDay} on the working day after`;
    t.diagnostic(context);
    assert.ok(
      rushDay >= 2 * reactiveHoliday,
      `the working day's rush did not need a bigger fleet; the check would prove nothing. ${context}`,
    );
    assert.ok(holiday <= nearReactive(reactiveHoliday), context);
  });
});
