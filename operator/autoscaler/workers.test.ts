import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec, type WorkerQueue } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { addPoint, type WeightedFit } from './downstream.js';
import { erlangC, waitQuantile } from './erlang.js';
import { QUEUE_SLA_CLASS, sizeWorker } from './sizing.js';
import type { AutoscalerState, QueueSignals } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };

function sizeQueue(
  queue: WorkerQueue,
  signals: QueueSignals,
  targetUtilization = spec.autoscaling.targetUtilization,
  state: AutoscalerState = initialAutoscalerState(),
): { pods: number; trigger: number; reason: string } {
  const need = sizeWorker({
    spec: { ...spec, autoscaling: { ...spec.autoscaling, targetUtilization } },
    state,
    signals,
    current: 1,
    plan: (load) => ({ load, basis: 'measured' }),
    startupSeconds: 20,
    queue,
  });
  assert.ok(need.replicas !== undefined && need.minimum !== undefined, need.reason);
  return { pods: need.replicas, trigger: need.minimum, reason: need.reason };
}

const sizeReports = (signals: QueueSignals, targetUtilization?: number, state?: AutoscalerState) =>
  sizeQueue('reports', signals, targetUtilization, state);

// Report jobs stretched by busy read replicas: a mean of 2.2 s and a p95 of 4.6 s leave no wait
// budget under the 5 s SLA × 0.9. Any wait for a slot then puts the job over its SLA.
const slow: QueueSignals = {
  waiting: 0,
  prioritized: 0,
  arrivalRate: 0.5,
  meanJobDurationSeconds: 2.2,
  p95JobDurationSeconds: 4.6,
  oldestWaitingAgeSeconds: 0,
};

describe('worker sizing when a job fills its SLA by itself', () => {
  it('sizes the slots so that at most the SLA exceed share of jobs waits at all', () => {
    const { pods, reason } = sizeReports(slow);
    const slots = pods * spec.workers.reports.concurrency;
    // The policy plans for its surge allowance over the arrivals (10 %).
    const waits = erlangC(slots, slow.arrivalRate! * 1.1, 1 / slow.meanJobDurationSeconds!);
    assert.ok(waits <= 0.05, `${pods} pods: ${(waits * 100).toFixed(0)} % of jobs wait for a slot (${reason})`);
    assert.match(reason, /leaves no wait budget: slots so at most 5 % of jobs wait/);
  });

  it('lets the knob relax how many jobs may wait at its cheap end, never tighten it below the SLA share', () => {
    // Many reports at once (5 jobs/s of 2.2 s), so one slot more or less shows in the wait share.
    const busy = { ...slow, arrivalRate: 5 };
    const slots = (knob: number) => sizeReports(busy, knob).pods * spec.workers.reports.concurrency;
    const waits = (knob: number) => erlangC(slots(knob), busy.arrivalRate * 1.1, 1 / busy.meanJobDurationSeconds!);
    // At 0.9 the knob allows 3.9 × the queueing of the default (downstream.ts queueScale): up to 19 % of jobs wait.
    assert.ok(slots(0.9) < slots(0.7), `${slots(0.9)} slots at 0.9, ${slots(0.7)} at 0.7`);
    assert.ok(waits(0.9) <= 0.05 * 3.86 && waits(0.9) > 0.05, `${(waits(0.9) * 100).toFixed(1)} % wait at 0.9`);
    // At 0.5 as at the default: at most the SLA's 5 % wait.
    assert.equal(slots(0.5), slots(0.7));
    assert.ok(waits(0.5) <= 0.05, `${(waits(0.5) * 100).toFixed(1)} % wait at 0.5`);
  });

  it('above the default knob, sizes for throughput once the jobs miss their SLA without waiting', () => {
    // Replicas run hot at the cheap end: report jobs read a p95 of 6.9 s against a 5 s SLA, so
    // more than 5 % of them miss it whatever the slots; slots that keep them from waiting buy nothing.
    const over = { ...slow, arrivalRate: 0.67, meanJobDurationSeconds: 2.63, p95JobDurationSeconds: 6.9 };
    const offered = over.arrivalRate * 1.1 * over.meanJobDurationSeconds;
    const throughput = Math.ceil(Math.ceil(offered / 0.9) / spec.workers.reports.concurrency);
    const cheap = sizeReports(over, 0.9);
    assert.equal(cheap.pods, throughput, cheap.reason);
    assert.match(cheap.reason, /over the 5 s SLA without waiting: slots for throughput/);
    // At the default the slots still keep all but 5 % of the jobs from waiting.
    const { pods } = sizeReports(over);
    const waits = erlangC(pods * spec.workers.reports.concurrency, over.arrivalRate * 1.1, 1 / over.meanJobDurationSeconds);
    assert.ok(waits <= 0.05 && pods > throughput, `${pods} pods at the default: ${(waits * 100).toFixed(0)} % wait`);
  });

  describe('a queue whose jobs are seen to wait on the read replicas', () => {
    // Busy replicas stretch report jobs to a mean of 4 s (p95 8 s, over the 5 s SLA) at knob 0.9.
    // The learned line says they take 0.9 + 0.6 s / (1 − ρ): 1.5 s on idle replicas.
    const stretched = { ...slow, arrivalRate: 3, meanJobDurationSeconds: 4, p95JobDurationSeconds: 8 };
    let fit: WeightedFit | undefined;
    for (let i = 0; i < 60; i++) {
      const x = 1.2 + (i % 10) * 0.3;
      fit = addPoint(fit, x, 0.9 + 0.6 * x, 1);
    }
    const learned = (replicas: number): AutoscalerState => ({
      ...initialAutoscalerState({ 'postgres-replicas': replicas }),
      replicaDependence: { reports: fit! },
    });
    const concurrency = spec.workers.reports.concurrency;
    const podsFor = (seconds: number) => Math.ceil(Math.ceil((stretched.arrivalRate * 1.1 * seconds) / 0.9) / concurrency);

    it("once lost, sizes its slots for the jobs' pace on idle replicas, not for the stretched duration", () => {
      // Eight one-core replicas: the cap (one slot per core) is above the 6 slots the pace asks.
      const paced = sizeReports(stretched, 0.9, learned(8));
      assert.equal(paced.pods, podsFor(1.5), paced.reason);
      assert.match(paced.reason, /at the jobs' 1.5 s on idle replicas/);
      // Without a learned dependence the measured duration is all there is: 15 slots.
      assert.equal(sizeReports(stretched, 0.9).pods, podsFor(4));
      assert.ok(podsFor(1.5) < podsFor(4));
    });

    it('gives it at most one slot per replica core', () => {
      // Two one-core replicas: two reports' queries run at once; a third only time-shares their cores.
      const capped = sizeReports({ ...stretched, waiting: 200 }, 0.9, learned(2));
      assert.equal(capped.pods, Math.ceil(2 / concurrency), capped.reason);
      assert.match(capped.reason, /at most 2 \(one per replica core\)/);
    });

    it('gives it at most one slot per replica core while its jobs are still inside their SLA too', () => {
      // A month-end burst: 200 reports waiting, 3 jobs/s, p95 4.6 s under the 5 s SLA (not lost).
      const burst = { ...slow, arrivalRate: 3, waiting: 200 };
      const capped = sizeReports(burst, 0.9, learned(2));
      assert.equal(capped.pods, Math.ceil(2 / concurrency), capped.reason);
      assert.match(capped.reason, /at most 2 \(one per replica core\)/);
      // Not lost, so its slots run at the measured duration, not the idle pace.
      assert.doesNotMatch(capped.reason, /on idle replicas/);
      assert.ok(sizeReports(burst, 0.9).pods > capped.pods, 'without a learned dependence there is no cap');
    });

    it('changes nothing at the default knob, where the slots keep the jobs from waiting', () => {
      assert.equal(sizeReports(stretched, spec.autoscaling.targetUtilization, learned(2)).pods, sizeReports(stretched).pods);
      const burst = { ...slow, arrivalRate: 3, waiting: 200 };
      assert.equal(sizeReports(burst, spec.autoscaling.targetUtilization, learned(2)).pods, sizeReports(burst).pods);
    });
  });
});

describe("a worker queue's scale-up trigger", () => {
  const concurrency = spec.workers.reports.concurrency;
  /** The fewest slots that keep all but `share` of the jobs from waiting at `rate` jobs/s of `slow`. */
  const slotsKeeping = (rate: number, share: number) => {
    let slots = 1;
    while (erlangC(slots, rate, 1 / slow.meanJobDurationSeconds!) > share) slots++;
    return slots;
  };

  it('where the slots are sized on the share of jobs that wait, adds a pod only once twice that share would wait', () => {
    // 0.19 report jobs/s of 2.2 s: 0.42 Erlangs. Planned with the surge allowance, two slots let 8.6 %
    // wait, so the target is three slots (two pods); at the load itself two slots let 7.2 % wait:
    // under twice the SLA's 5 %, so one pod running is not yet a reason to scale up.
    const near = sizeReports({ ...slow, arrivalRate: 0.19 });
    assert.equal(near.pods, Math.ceil(slotsKeeping(0.19 * 1.1, 0.05) / concurrency), near.reason);
    assert.equal(near.pods, 2);
    assert.equal(near.trigger, Math.ceil(slotsKeeping(0.19, 0.1) / concurrency));
    assert.equal(near.trigger, 1);
    // At 0.25 jobs/s (0.55 Erlangs) two slots let 12 % wait: past the band, the trigger asks for two pods.
    const past = sizeReports({ ...slow, arrivalRate: 0.25 });
    assert.equal(past.trigger, 2, past.reason);
    assert.equal(past.trigger, Math.ceil(slotsKeeping(0.25, 0.1) / concurrency));
  });

  it("has no band for uploads: their trigger is the target's slots at the load itself", () => {
    // Upload pods run five jobs each and did not flap; a band there only delays a scale-up. The
    // target plans the surge allowance (10 %) on top of the load, so the target at load / 1.1 is the
    // trigger at the load, at every rate from no budget to a wide one. The reports' band shows on
    // the same walk.
    const differs = { uploads: 0, reports: 0 };
    for (const queue of ['uploads', 'reports'] as const) {
      const jobs = spec.sla[QUEUE_SLA_CLASS[queue]];
      for (const p95 of [0.5, 0.85, 0.95].map((share) => share * jobs)) {
        for (let rate = 0.05; rate <= 6; rate += 0.05) {
          const signals = { ...slow, arrivalRate: rate, meanJobDurationSeconds: p95 / 2, p95JobDurationSeconds: p95 };
          const { trigger } = sizeQueue(queue, signals);
          if (trigger !== sizeQueue(queue, { ...signals, arrivalRate: rate / 1.1 }).pods) differs[queue]++;
        }
      }
    }
    assert.equal(differs.uploads, 0);
    assert.ok(differs.reports > 0, 'the reports walk crosses the band somewhere');
  });
});

describe('worker sizing when the jobs leave a wait budget', () => {
  it('above the default knob, lets the queue wait its knob-scaled share of the budget', () => {
    // Jobs of 2 s (p95 4.3 s) leave 0.2 s of the 5 s SLA × 0.9 to wait; 5 jobs/s keep 11 slots busy,
    // so the wait budget, not the 90 % utilisation cap, sets the slots at the default knob.
    const tight = { ...slow, arrivalRate: 5, meanJobDurationSeconds: 2, p95JobDurationSeconds: 4.3 };
    const slots = (knob: number) => sizeReports(tight, knob).pods * spec.workers.reports.concurrency;
    const wait = (knob: number) => waitQuantile(slots(knob), tight.arrivalRate * 1.1, 1 / tight.meanJobDurationSeconds);
    assert.ok(wait(0.7) <= 0.2, `${slots(0.7)} slots at 0.7 wait ${wait(0.7).toFixed(3)} s`);
    // At 0.9 the knob allows 3.86 × the default's queueing (downstream.ts queueScale): fewer slots,
    // a p95 wait past the bare 0.2 s but within 3.86 × it.
    assert.ok(slots(0.9) < slots(0.7), `${slots(0.9)} slots at 0.9, ${slots(0.7)} at 0.7`);
    assert.ok(wait(0.9) > 0.2 && wait(0.9) <= 0.2 * 3.86, `${slots(0.9)} slots at 0.9 wait ${wait(0.9).toFixed(3)} s`);
    assert.match(sizeReports(tight, 0.9).reason, /wait budget 0\.20 s × 3\.86 at knob 0\.90/);
    // Below the default the budget is the bare slack.
    assert.equal(slots(0.5), slots(0.7));
    assert.doesNotMatch(sizeReports(tight, 0.7).reason, /wait budget/);
  });

  it('sizes on the budget at the default knob: more than the SLA exceed share of jobs may wait', () => {
    const quick = { ...slow, meanJobDurationSeconds: 1, p95JobDurationSeconds: 2 };
    const { pods } = sizeReports(quick);
    const slots = pods * spec.workers.reports.concurrency;
    // 2.5 s of budget: a job may wait, so fewer slots than "never wait" suffice.
    assert.ok(erlangC(slots, 0.55, 1) > 0.05, `${pods} pods`);
  });
});
