import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SPEC, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { initialAutoscalerState } from './autoscaler.js';
import { sizeApi } from './sizing.js';
import { POLICY } from './tuning.js';
import type { ApiSignals } from './types.js';

const base: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const atKnob = (knob: number): PassPlatformSpec => ({ ...base, autoscaling: { ...base.autoscaling, targetUtilization: knob } });

/**
 * Ten ready half-core pods serving logins at 30 ms of CPU each (the password hash), read as
 * collect.ts delivers them: at knobs 0.7–1 the model sizes 8–10 pods, so only the measured p95
 * can ask for more.
 */
function sized(knob: number, opts: { utilisation: number; authP95: number; learnedAuthBase?: number }) {
  const pods = 10;
  const cpuPerRequest = 0.03;
  const cpuCores = opts.utilisation * pods * 0.5;
  const api: ApiSignals = {
    requestRate: { auth: cpuCores / cpuPerRequest },
    p95LatencySeconds: { auth: opts.authP95 },
    cpuCores,
    readyPods: pods,
  };
  const state = initialAutoscalerState({ api: pods });
  if (opts.learnedAuthBase !== undefined) state.baseLatencySeconds.auth = opts.learnedAuthBase;
  return sizeApi({
    spec: atKnob(knob),
    state,
    signals: api,
    current: pods,
    plan: (load) => ({ load, basis: 'measured' }),
    startupSeconds: 40,
  });
}

describe('an SLA measured missed while the model says the API has enough pods', () => {
  it('adds half the fleet once the pods are busy enough for CPU contention to stretch a request, at any knob', () => {
    // At 60 % CPU processor sharing stretches a CPU-bound request 2.5 ×. The rule used to wait
    // for the knob's own utilisation, which a cheap knob's fleet (0.9) rarely reaches: the miss
    // went unanswered while the model's base latency drifted with it. (At 0.5 the knob's CPU
    // sizing alone asks for 14 pods here: the model does not say there are enough.) Above the
    // default a miss is a p95 past the knob's aim (knob-aim.test.ts): 0.49 s at 0.9, 43 s at 1.
    for (const [knob, authP95] of [
      [0.7, 0.3],
      [0.9, 0.6],
      [1, 60],
    ] as const) {
      const need = sized(knob, { utilisation: 0.6, authP95 });
      assert.equal(need.replicas, 15, `knob ${knob}: ${need.reason}`);
      assert.match(need.reason, /SLA missed at 60 % CPU → 15 pods/);
      assert.equal(need.urgent, true);
    }
  });

  it('leaves a miss on idle pods to what it waits on (the database, a downstream service)', () => {
    const busy = 0.9 * POLICY.measuredMissBusyShare;
    const need = sized(0.9, { utilisation: busy - 0.1, authP95: 0.6 });
    assert.ok((need.replicas ?? 0) < 10, need.reason);
    assert.doesNotMatch(need.reason, /SLA missed at/);
  });

  it('adds nothing for a class whose learned base latency is already at or past its SLA, and says so', () => {
    // auth's SLA is 0.2 s. At a learned base of 0.25 s a miss can't be told from the base (and the
    // knob's aim would collapse to the SLA): no step. Just under the SLA a miss steps.
    for (const knob of [0.7, 0.9, 1]) {
      const slow = sized(knob, { utilisation: 0.6, authP95: 60, learnedAuthBase: 0.25 });
      assert.ok((slow.replicas ?? 0) < 15, `knob ${knob}: ${slow.reason}`);
      assert.doesNotMatch(slow.reason, /SLA missed at/);
      assert.match(slow.reason, /auth p95 60 s over its SLA 0\.20 s, its learned base latency 0\.25 s at or past it: no step/);
      assert.equal(slow.urgent, false);
      const queued = sized(knob, { utilisation: 0.6, authP95: 60, learnedAuthBase: 0.19 });
      assert.equal(queued.replicas, 15, `knob ${knob}: ${queued.reason}`);
      assert.equal(queued.urgent, true);
    }
  });

  it('adds nothing while the SLA holds', () => {
    const need = sized(0.9, { utilisation: 0.6, authP95: 0.15 });
    assert.ok((need.replicas ?? 0) <= 10, need.reason);
    assert.doesNotMatch(need.reason, /SLA missed at/);
  });
});
