import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTrace } from './run.js';
import { monthEndTrace, uploadDeadlineTrace } from './traces.js';
import { SIMULATED_SPEC } from './workload.js';

// The report workers' scale-up band (operator/autoscaler/tuning.ts triggerWaitShareFactor), judged
// by the simulator, which shares none of the policy's maths: at the spec default a trend forecast
// on 0.1–0.2 report jobs/s crossed the Erlang C line of the share of jobs let wait both ways, and
// the report pods went 1 → 2 → 1 within minutes: 12, 4 and 3 reversals on month end at seeds 1–3,
// 11, 9 and 5 on the upload deadline (19 and 25). With the band, 1, 2 and 2, and 2, 2 and 0 in
// session 27; 0, 2 and 1, and 1, 1 and 3 since session 28's change to the API's measured-miss step.
// At most two a run on average: one seed's odd reversal is noise, a flapping queue is not.
describe('report workers at the spec default knob', () => {
  for (const trace of [monthEndTrace(), uploadDeadlineTrace()]) {
    it(`do not flap on ${trace.name}`, () => {
      const seeds = [1, 2, 3];
      const runs = seeds.map((seed) => runTrace(trace, 'ours', SIMULATED_SPEC, seed, SIMULATED_SPEC.autoscaling.targetUtilization));
      const reversals = runs.map((run) => run.reversals['worker-reports']);
      const total = reversals.reduce((sum, n) => sum + n, 0);
      const actions = runs.map((run) => run.scalingActions['worker-reports']);
      assert.ok(
        total <= 2 * seeds.length,
        `reversals at seeds ${seeds.join(', ')}: ${reversals.join(', ')} in ${actions.join(', ')} actions`,
      );
    });
  }
});

// Month end's report burst (595 jobs at minute 120) at ours' cheapest knob, judged against the
// HPA at its cheapest target. Report jobs wait on the read replicas; before session 29 ours capped
// their slots at the replicas' cores only once the jobs' p95 passed their SLA, so this burst, just
// inside it, drew 9 report pods (18 slots) onto 3-4 replicas for 70 minutes and the API's reads
// queued behind them: 317 SLA minutes (student_queries 59) where the HPA's one report pod lost 248
// (12). Capped above the default knob too: 178 (16).
describe('report workers at the cheapest knob on month end (seed 1)', () => {
  it("keep the API's reads from queueing behind the report burst", () => {
    const trace = monthEndTrace();
    const ours = runTrace(trace, 'ours', SIMULATED_SPEC, 1, 1);
    const hpa = runTrace(trace, 'hpa', SIMULATED_SPEC, 1, 0.8);
    const reads = (run: typeof ours) => run.violationMinutes.student_queries ?? 0;
    const summary = `ours ${ours.totalViolationMinutes} min (student_queries ${reads(ours)}), HPA at 80 % ${hpa.totalViolationMinutes} (${reads(hpa)})`;
    assert.ok(ours.totalViolationMinutes < hpa.totalViolationMinutes, summary);
    assert.ok(reads(ours) <= 2 * reads(hpa), summary);
  });
});
