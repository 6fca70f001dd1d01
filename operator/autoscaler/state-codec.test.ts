/**
 * The stored autoscaler state over more than a week of operation at the spec's 15-second interval:
 * the ConfigMap document stays within 32 KiB once the seasonal memory is full and the latency
 * curves are learned, and at the worst case the format allows; it comes back as the state that
 * was stored; it is written only when something durable changed — a few hundred times a day, not
 * on each of the day's 5,760 runs; and a document cut short, of another version or edited by hand
 * costs only the parts that cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SLA_CLASS_NAMES } from '../../core/sla.js';
import { COMPONENTS, DEFAULT_SPEC, WORKER_QUEUES, type Component, type PassPlatformSpec } from '../../platform-api/v1alpha1/index.js';
import { autoscale, initialAutoscalerState } from './autoscaler.js';
import { emptySeasonalMemory } from './forecast.js';
import { curveSetsCap, decodeState, durableKey, encodeState, needsWrite, readState, STATE_SIZE_LIMIT_BYTES } from './state-codec.js';
import { seeded, signalsAt } from '../../testing/weekday-signals.js';
import { COMPONENT_TUNING, POLICY } from './tuning.js';
import { keepWindowMaxima, MAX_WINDOW_RECOMMENDATIONS } from './stabilizer.js';
import type { AutoscalerState, ComponentMemory, Recommendation } from './types.js';

const spec: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };
const INTERVAL_MS = spec.autoscaling.intervalSeconds * 1000;
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 2, 2, 0, 0);

describe('the stored autoscaler state', () => {
  it('stays under 32 KiB over 8.5 days, decodes to what was stored, and is written only when it changes', (t) => {
    const noise = seeded(7);
    let state: AutoscalerState = initialAutoscalerState({
      api: 2,
      'worker-uploads': 1,
      'worker-reports': 1,
      'postgres-replicas': 1,
      'redis-shards': 3,
    });
    // What the ConfigMap holds: the loop writes when needsWrite says so.
    let stored: AutoscalerState | undefined;
    let largest = 0;
    const writesPerDay: number[] = [];
    const runs = Math.round((8.5 * DAY_MS) / INTERVAL_MS);
    for (let i = 0; i < runs; i++) {
      const now = T0 + i * INTERVAL_MS;
      state = autoscale(spec, state, signalsAt(now, noise), now).state;
      if (needsWrite(stored, state)) {
        stored = state;
        const day = Math.floor((now - T0) / DAY_MS);
        writesPerDay[day] = (writesPerDay[day] ?? 0) + 1;
      }
      if (i % 240 === 0) largest = Math.max(largest, Buffer.byteLength(encodeState(state)));
    }
    const text = encodeState(state);
    largest = Math.max(largest, Buffer.byteLength(text));
    t.diagnostic(`largest stored state ${largest} bytes; writes per day ${writesPerDay.join(', ')}`);
    assert.ok(largest <= STATE_SIZE_LIMIT_BYTES, `largest stored state ${largest} bytes`);
    assert.ok(Buffer.byteLength(JSON.stringify(state)) > STATE_SIZE_LIMIT_BYTES, 'the seasonal memory is full: plain JSON would not fit');
    assert.ok(curveSetsCap(state.apiLatencyFit?.auth), 'auth’s latency curve is learned');
    assert.ok(curveSetsCap(state.replicaDependence?.reports), 'report jobs’ curve is learned');

    // A write per closed 5-minute bucket (288 a day) plus scaling and learning: far below the day's 5,760 runs.
    for (const [day, writes] of writesPerDay.entries()) assert.ok((writes ?? 0) <= 450, `day ${day}: ${writes} writes`);

    const { state: decoded, problems } = readState(text);
    assert.deepEqual(problems, []);
    assert.ok(decoded);
    assert.equal(durableKey(decoded), durableKey(state));
    assert.equal(needsWrite(decoded, state), false);
    // The curves' sums come back exactly: the new leader's caps are the old one's.
    assert.deepEqual(decoded.apiLatencyFit, state.apiLatencyFit);
    assert.deepEqual(decoded.replicaDependence, state.replicaDependence);
    assert.deepEqual(decoded.jobP95OverMean, state.jobP95OverMean);
    for (const [name, memory] of Object.entries(state.components) as [Component, ComponentMemory][]) {
      const back: ComponentMemory | undefined = decoded.components[name];
      assert.deepEqual(back?.recommendations, memory.recommendations);
      assert.deepEqual(back?.recent, memory.recent.slice(-12));
      assert.equal(back?.startupSeconds, memory.startupSeconds);
      if (!COMPONENT_TUNING[name].forecast) {
        assert.deepEqual([memory.recent, memory.seasonal], [[], undefined], `${name} keeps no load memory`);
        continue;
      }
      const seasonal = memory.seasonal;
      assert.ok(seasonal && back?.seasonal);
      let held = 0;
      seasonal.ids.forEach((id, slot) => {
        if (id < seasonal.openId - seasonal.ids.length) return;
        held++;
        assert.equal(back.seasonal?.ids[slot], id, `${name} slot ${slot}`);
        const mean = seasonal.means[slot] ?? 0;
        assert.ok(
          Math.abs((back.seasonal?.means[slot] ?? 0) - mean) <= 0.005 * mean,
          `${name} slot ${slot}: ${back.seasonal?.means[slot]} for ${mean}`,
        );
      });
      assert.equal(held, seasonal.ids.length, `${name}: the whole ring is held after 8.5 days`);
    }
    // A policy run from the decoded state decides as from the original.
    const now = T0 + runs * INTERVAL_MS;
    const signals = signalsAt(now, seeded(1));
    assert.deepEqual(autoscale(spec, decoded, signals, now).replicas, autoscale(spec, state, signals, now).replicas);
  });

  it('stays under 32 KiB at the worst case: every component, curve and estimate at its longest', (t) => {
    const now = Date.UTC(2286, 10, 20, 17, 46, 39, 999); // the last 13-digit millisecond time
    // 17 significant digits and a fraction: the longest a number prints.
    const longest = (i: number) => 1234.5678901234567 + i / 7;
    const huge = 2 ** 31 - 1;
    const state: AutoscalerState = { version: 1, components: {}, baseLatencySeconds: {}, jobDurationSeconds: {} };
    for (const component of COMPONENTS) {
      const seasonal = emptySeasonalMemory(POLICY.seasonalBucketSeconds * 1000, POLICY.seasonalSpanSeconds * 1000);
      seasonal.openId = Math.floor(now / seasonal.bucketMs);
      const slots = seasonal.ids.length;
      seasonal.ids = seasonal.ids.map((_, slot) => seasonal.openId - 1 - ((((seasonal.openId - 1 - slot) % slots) + slots) % slots));
      seasonal.means = seasonal.means.map((_, slot) => longest(slot));
      seasonal.openSum = longest(-1);
      seasonal.openCount = huge;
      state.components[component] = {
        replicas: huge,
        lastScaleUpAt: now,
        lastScaleDownAt: now,
        budgetRefused: true,
        recommendations: Array.from({ length: MAX_WINDOW_RECOMMENDATIONS }, (_, i) => ({ at: now - i, replicas: huge - i })),
        // The trend's window at the shortest interval the spec allows (5 s).
        recent: Array.from({ length: POLICY.trendWindowSeconds / 5 }, (_, i) => ({ at: now - i, load: longest(i) })),
        startupSeconds: longest(2),
        awaitingReady: { since: now, replicas: huge },
        seasonal,
      };
    }
    const fit = { w: longest(3), sx: longest(4), sy: longest(5), sxx: longest(6), sxy: longest(7), syy: longest(8) };
    for (const slaClass of SLA_CLASS_NAMES) {
      state.baseLatencySeconds[slaClass] = longest(9);
      (state.apiLatencyFit ??= {})[slaClass] = fit;
    }
    for (const queue of WORKER_QUEUES) {
      state.jobDurationSeconds[queue] = longest(10);
      (state.replicaDependence ??= {})[queue] = fit;
      (state.jobP95OverMean ??= {})[queue] = longest(11);
    }
    state.apiCpuSecondsPerRequest = longest(12);
    state.postgresCpuSecondsPerQuery = longest(13);
    const text = encodeState(state);
    const bytes = Buffer.byteLength(text);
    t.diagnostic(`worst-case stored state ${bytes} bytes of ${STATE_SIZE_LIMIT_BYTES}`);
    assert.ok(bytes <= STATE_SIZE_LIMIT_BYTES, `worst-case stored state ${bytes} bytes`);
    const { state: decoded, problems } = readState(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(decoded?.apiLatencyFit, state.apiLatencyFit);
    assert.deepEqual(decoded?.components.api?.recommendations, state.components.api?.recommendations);
  });

  it('bounds the scale-down window without ever lowering its highest recommendation', () => {
    let recommendations: Recommendation[] = [];
    const spans: Recommendation[][] = [];
    // A decline of one replica per run, then a plateau: one level per run would be kept unbounded.
    for (let i = 0; i < 100; i++) {
      recommendations = keepWindowMaxima(recommendations, { at: i, replicas: Math.max(20, 200 - i) });
      assert.ok(recommendations.length <= MAX_WINDOW_RECOMMENDATIONS);
      spans.push(recommendations);
    }
    // At any later time, the highest kept recommendation inside a window is at least the highest of the raw ones.
    for (const window of [5, 20, 60]) {
      for (let t = 99; t < 99 + window; t++) {
        const raw = Math.max(
          ...Array.from({ length: 100 }, (_, i) => i)
            .filter((i) => i > t - window)
            .map((i) => Math.max(20, 200 - i)),
        );
        const kept = Math.max(...recommendations.filter((r) => r.at > t - window).map((r) => r.replicas));
        assert.ok(kept >= raw, `window ${window} at ${t}: ${kept} < ${raw}`);
      }
    }
  });
});

describe('a stored state that cannot be read whole', () => {
  /** A real stored document after a day of running, with every kind of part filled in. */
  function dayOfState(): AutoscalerState {
    const noise = seeded(3);
    let state = initialAutoscalerState({ api: 2, 'worker-uploads': 1, 'worker-reports': 1, 'postgres-replicas': 1, 'redis-shards': 3 });
    for (let i = 0; i < DAY_MS / INTERVAL_MS; i++) {
      const now = T0 + i * INTERVAL_MS;
      state = autoscale(spec, state, signalsAt(now, noise), now).state;
    }
    return state;
  }
  const learned = dayOfState();
  const text = encodeState(learned);
  /** The stored document with the value at each path replaced, as a person editing the ConfigMap might. */
  const edit = (...changes: [path: string, value: unknown][]) => {
    const doc = JSON.parse(text) as Record<string, unknown>;
    for (const [path, value] of changes) {
      const keys = path.split('.');
      const last = keys.pop() as string;
      const parent = keys.reduce((at, key) => at[key] as Record<string, unknown>, doc);
      parent[last] = value;
    }
    return JSON.stringify(doc);
  };
  const next = (state: AutoscalerState | undefined) => {
    const now = T0 + DAY_MS;
    return autoscale(spec, state, signalsAt(now, seeded(1)), now);
  };

  it('starts fresh, saying why, when the document is cut short or of another version', () => {
    for (const [broken, why] of [
      [text.slice(0, text.length / 2), /not JSON/],
      ['', /not JSON/],
      [edit(['version', 1]), /format version 1, this operator reads 2 and 3; starting fresh/],
      [edit(['version', 99]), /format version 99/],
      ['[1,2]', /format version none/],
    ] as const) {
      const { state, problems } = readState(broken);
      assert.equal(state, undefined);
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? '', why);
      assert.ok(next(state).replicas.api !== undefined, 'the policy runs from a fresh state');
    }
  });

  it('keeps every part it can read and names each part it drops', () => {
    const broken = edit(
      ['components.api.seasonal.means', 'AAAA'],
      ['components.worker-uploads.replicas', -3],
      ['components.worker-reports.recent', [[1, 'lots']]],
      ['components.postgres-replicas.startupSeconds', 'soon'],
      ['components.memcached', { replicas: 2 }],
      ['apiLatencyFit.auth', [1, 2, 3]],
      ['replicaDependence.reports', [1, 2, 3, 4, 5, 6, 7]],
      ['jobP95OverMean', 'x'],
      ['apiCpuSecondsPerRequest', null],
      ['baseLatencySeconds.checkout', 0.1],
    );
    const { state, problems } = readState(broken);
    assert.ok(state);
    const expected = [
      /component api: seasonal memory unreadable \(seasonal memory of the wrong length\); relearning it/,
      /component worker-uploads: replica count unreadable; starting it fresh from the count running now/,
      /component worker-reports: recent load samples unreadable .*; relearning it/,
      /component postgres-replicas: learned start-up time unreadable .*; relearning it/,
      /unknown component "memcached" dropped/,
      /API latency curve of auth unreadable/,
      /job duration curve of reports unreadable/,
      /job p95 \/ mean is not a map; relearning all of it/,
      /CPU per API request unreadable/,
      /base latency: unknown key "checkout" dropped/,
    ];
    assert.equal(problems.length, expected.length, problems.join('\n'));
    for (const pattern of expected)
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `${pattern} in ${problems.join('\n')}`,
      );

    // What was readable is kept as it was.
    assert.equal(state.components.api?.seasonal, undefined);
    assert.deepEqual(state.components.api?.recent, learned.components.api?.recent.slice(-12));
    assert.equal(state.components['worker-uploads'], undefined);
    assert.deepEqual(state.components['worker-reports']?.recent, []);
    assert.deepEqual(state.components['worker-reports']?.seasonal, decodeState(text)?.components['worker-reports']?.seasonal);
    assert.equal(state.components['postgres-replicas']?.startupSeconds, undefined);
    assert.deepEqual(state.components['redis-shards'], decodeState(text)?.components['redis-shards']);
    assert.equal(state.apiLatencyFit?.auth, undefined);
    assert.deepEqual(state.apiLatencyFit?.student_queries, learned.apiLatencyFit?.student_queries);
    assert.equal(state.replicaDependence?.reports, undefined);
    assert.equal(state.jobP95OverMean, undefined);
    assert.equal(state.apiCpuSecondsPerRequest, undefined);
    assert.equal(state.postgresCpuSecondsPerQuery, learned.postgresCpuSecondsPerQuery);
    assert.deepEqual(state.baseLatencySeconds, learned.baseLatencySeconds);

    // The policy runs on what is left, and relearns the rest.
    const result = next(state);
    assert.ok(result.state.apiCpuSecondsPerRequest !== undefined);
    assert.ok(result.state.components.api?.seasonal);
  });

  it('drops a value that is not a finite number of the right sign', () => {
    for (const [field, value] of [
      ['apiCpuSecondsPerRequest', -1],
      ['apiCpuSecondsPerRequest', '1e309'],
      ['postgresCpuSecondsPerQuery', 0],
    ] as const) {
      const { state, problems } = readState(edit([field, value]));
      assert.equal(state?.[field], undefined);
      assert.equal(problems.length, 1, problems.join('; '));
    }
    // A fit whose weight is zero or whose sum of squares is negative is not one the policy made.
    for (const bad of [[0, 1, 1, 1, 1, 1], [10, 1, 1, -1, 1, 1], { w: 10, sx: 1 }]) {
      const { state, problems } = readState(edit(['apiLatencyFit.auth', bad]));
      assert.equal(state?.apiLatencyFit?.auth, undefined, JSON.stringify(bad));
      assert.equal(problems.length, 1);
    }
  });

  it('drops what would outgrow the bound: a seasonal ring of another shape, a longer scale-down window', () => {
    const slots = 2 * 2304;
    const { state, problems } = readState(
      edit(
        ['components.api.seasonal.slots', slots],
        ['components.api.seasonal.means', 'AB'.repeat(slots)],
        ['components.redis-shards.seasonal.bucketMs', 60_000],
        ['components.worker-uploads.recommendations', Array.from({ length: 500 }, (_, i) => [T0 + DAY_MS - i, 500 - i])],
      ),
    );
    assert.deepEqual(problems.length, 3, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /component api: seasonal memory unreadable \(4608 buckets of 300000 ms where the policy keeps 2304 of 300000 ms\)/,
    );
    assert.match(problems[1] ?? '', /component worker-uploads: scale-down window unreadable/);
    assert.match(problems[2] ?? '', /component redis-shards: seasonal memory unreadable \(2304 buckets of 60000 ms/);
    assert.ok(Buffer.byteLength(encodeState(next(state).state)) <= STATE_SIZE_LIMIT_BYTES);
  });

  it('never throws, and the policy runs, whatever single value a hand edit changes', () => {
    const random = seeded(29);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const replacements = [null, -1, 0, 1e308, 'x', '', true, [], {}, [1, 'a'], { at: 1 }, Number.MAX_SAFE_INTEGER, 2.5];
    /** Every path to a value in the document. */
    const paths = (value: unknown, at: string[] = []): string[][] =>
      typeof value === 'object' && value !== null
        ? [at, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...at, key]))]
        : [at];
    const all = paths(JSON.parse(text)).filter((path) => path.length > 0);
    for (let i = 0; i < 400; i++) {
      const doc = JSON.parse(text) as Record<string, unknown>;
      const path = pick(all);
      const parent = path.slice(0, -1).reduce((at, key) => (at as Record<string, unknown>)[key], doc as unknown) as Record<string, unknown>;
      const key = path.at(-1) as string;
      if (random() < 0.2) delete parent[key];
      else parent[key] = pick(replacements);
      const edited = JSON.stringify(doc);
      const what = `${path.join('.')} → ${JSON.stringify(parent[key])}`;
      const { state } = readState(edited);
      const result = next(state);
      assert.ok(Object.keys(result.replicas).length > 0, what);
      // What the policy stores next is inside the bound and reads back whole.
      const stored = encodeState(result.state);
      assert.ok(Buffer.byteLength(stored) <= STATE_SIZE_LIMIT_BYTES, what);
      assert.deepEqual(readState(stored).problems, [], what);
    }
  });

  it('reads a version 2 document (fits, samples and recommendations as objects)', () => {
    const v2 = JSON.stringify({
      version: 2,
      components: {
        api: { replicas: 4, recommendations: [{ at: 5, replicas: 4 }], recent: [{ at: 5, load: 100 }], startupSeconds: 61 },
      },
      baseLatencySeconds: { auth: 0.05 },
      jobDurationSeconds: {},
      apiLatencyFit: { auth: { w: 50, sx: 60, sy: 5, sxx: 80, sxy: 7, syy: 0.6 } },
    });
    const { state, problems } = readState(v2);
    assert.deepEqual(problems, []);
    assert.deepEqual(state?.components.api, {
      replicas: 4,
      recommendations: [{ at: 5, replicas: 4 }],
      recent: [{ at: 5, load: 100 }],
      startupSeconds: 61,
    });
    assert.deepEqual(state?.apiLatencyFit?.auth, { w: 50, sx: 60, sy: 5, sxx: 80, sxy: 7, syy: 0.6 });
  });
});
