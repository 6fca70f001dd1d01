import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATENCY_BUCKETS_SECONDS } from '../core/sla.js';
import { AppNodePool, Fleet } from './cluster.js';
import { heldOutTraces } from './held-out.js';
import { PlatformModel, STEP_SECONDS } from './model.js';
import { histogramQuantile, Prometheus } from './observe.js';
import { PodQueue } from './pod-queue.js';
import { Random } from './random.js';
import { APP_NODES, DATABASE, replicaStartSeconds, reshardSeconds, SIMULATED_SPEC, TYPICAL_JOBS, TYPICAL_MIX } from './workload.js';

describe('processor sharing on one API process', () => {
  it('splits the cores among the requests in progress', () => {
    const finished: [number, number][] = [];
    const queue = new PodQueue((kind, seconds) => finished.push([kind, seconds]));
    queue.arrive(0, 1, 0, 1);
    queue.arrive(0, 1, 1, 1);
    queue.arrive(1, 0.25, 2, 1);
    queue.advance(10, 1);
    // By t=1 the first two have had 0.5 each; three share from then: the short one ends at 1.75,
    // the other two have 0.25 left at half a core each and end at 2.25.
    assert.deepEqual(
      finished.map(([kind, s]) => [kind, Number(s.toFixed(6))]),
      [
        [2, 0.75],
        [0, 2.25],
        [1, 2.25],
      ],
    );
    assert.equal(Number(queue.takeCpu().toFixed(6)), 2.25);
  });
});

describe('histogram_quantile over the exported buckets', () => {
  it('interpolates inside the bucket holding the rank, as Prometheus does', () => {
    const bounds = [0.1, 0.2, 0.5, Infinity];
    assert.equal(histogramQuantile(0.95, bounds, [50, 40, 10, 0]), 0.2 + (0.3 * 5) / 10);
    assert.equal(histogramQuantile(0.5, bounds, [100, 0, 0, 0]), 0.05);
    // A rank in +Inf gives the highest finite bound.
    assert.equal(histogramQuantile(0.95, bounds, [1, 0, 0, 99]), 0.5);
    assert.equal(histogramQuantile(0.95, bounds, [0, 0, 0, 0]), undefined);
  });
});

describe('start-up of data replicas', () => {
  it('grows a read replica start with the database it clones, and a reshard with the keys it moves', () => {
    const bandwidth = DATABASE.baseBackupBytesPerSecond[0];
    const backup = DATABASE.sizeBytes / bandwidth;
    assert.ok(replicaStartSeconds(30, bandwidth) > 30 + backup, 'base backup plus WAL catch-up');
    assert.ok(reshardSeconds(20, 4) > reshardSeconds(20, 8));
  });
});

describe('nodes', () => {
  it('keeps pods beyond the ready nodes pending until a node is provisioned', () => {
    const random = new Random(3);
    const fleet = new Fleet(() => 10, 1, 3, 0);
    const pool = new AppNodePool([fleet], random, 0);
    fleet.resize(3 + Math.ceil(APP_NODES.allocatableCores) * 2, 0);
    pool.tick(0);
    const readyByStart = fleet.pods.filter((p) => p.readyAt <= 20_000).length;
    assert.ok(readyByStart < fleet.size, 'some pods wait for a node');
    for (let t = 0; t <= 400_000; t += 5000) pool.tick(t);
    assert.equal(fleet.ready(400_000), fleet.size);
    const waited = Math.max(...fleet.pods.map((p) => p.readyAt));
    assert.ok(waited >= APP_NODES.provisionSeconds[0] * 1000, `last pod ready at ${waited} ms`);
  });
});

describe('the API as per-pod queues behind round-robin', () => {
  /** p95 of student queries seen through the histogram after 10 min at the typical mix × `scale` on `pods` pods. */
  function observedP95(pods: number, scale: number): number {
    const model = new PlatformModel(SIMULATED_SPEC, 5, 0);
    model.setReplicas({ api: pods, 'postgres-replicas': 3, 'worker-reports': 2 }, 0);
    const prometheus = new Prometheus(model);
    const requests = Object.fromEntries(Object.entries(TYPICAL_MIX).map(([c, r]) => [c, r * scale])) as typeof TYPICAL_MIX;
    let now = 0;
    for (; now <= 900_000; now += STEP_SECONDS * 1000) {
      model.step(now, { requests, jobs: TYPICAL_JOBS }, []);
      prometheus.tick(now);
    }
    const p95 = prometheus.signals(now - STEP_SECONDS * 1000).api?.p95LatencySeconds?.student_queries;
    assert.ok(p95 !== undefined);
    return p95;
  }

  it('waits longer as the pods get busier, and reports latency on bucket bounds or between them', () => {
    const quiet = observedP95(30, 0.5);
    const busy = observedP95(12, 1);
    assert.ok(busy > quiet, `busy ${busy} vs quiet ${quiet}`);
    assert.ok(quiet >= 0 && quiet <= (LATENCY_BUCKETS_SECONDS.at(-1) ?? Infinity));
  });
});

describe("a minute's SLA outcome on a large fleet", () => {
  it("is read from enough requests that one pod's sample does not decide it", () => {
    // 25 pods at the typical mix (no jobs): logins exceed their SLA ~3 % of the time, near the 5 %
    // that makes a violated minute, so how much a minute's share scatters around that decides how
    // many minutes count. Read from one pod's ~70 logins a minute it scattered by 1.4-2.1 points
    // (seeds 1-3); from ~100 req/s followed, 0.9-1.2.
    const spreads = [1, 2, 3].map((seed) => {
      const model = new PlatformModel(SIMULATED_SPEC, seed, 0);
      model.setReplicas({ api: 25 }, 0);
      const shares: number[] = [];
      let count = 0;
      let exceeded = 0;
      const stepsPerMinute = 60 / STEP_SECONDS;
      for (let step = 1; step <= 45 * stepsPerMinute; step++) {
        const outcome = model.step(step * STEP_SECONDS * 1000, { requests: TYPICAL_MIX, jobs: { uploads: 0, reports: 0 } }, []);
        count += outcome.requests.auth.count;
        exceeded += outcome.requests.auth.exceeded;
        if (step % stepsPerMinute === 0) {
          shares.push(exceeded / count);
          count = 0;
          exceeded = 0;
        }
      }
      // From minute 15: the nodes for 25 pods are provisioned and the spare ones removed by then.
      const steady = shares.slice(15);
      const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
      return Math.sqrt(steady.reduce((a, b) => a + (b - mean) ** 2, 0) / (steady.length - 1));
    });
    const meanSpread = spreads.reduce((a, b) => a + b, 0) / spreads.length;
    assert.ok(meanSpread < 0.013, `minute shares scatter by ${(meanSpread * 100).toFixed(2)} points`);
  });
});

describe('held-out traces', () => {
  it('differs by seed and is not one of the developed traces', () => {
    const a = heldOutTraces(20261204);
    const b = heldOutTraces(20261205);
    assert.deepEqual(
      a.map((t) => t.name),
      ['flash-crowd', 'holiday', 'slow-growth'],
    );
    assert.notEqual(a[0]?.description, b[0]?.description);
  });
});
