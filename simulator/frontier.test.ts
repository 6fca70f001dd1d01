import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { frontierGaps, frontierMarkdown, mergeFrontier, undominated, type FrontierPoint } from './frontier.js';
import { runTrace } from './run.js';
import { allTraces } from './traces.js';
import { SIMULATED_SPEC } from './workload.js';

const run = promisify(execFile);
const table0 = (out: string) => readFileSync(join(out, 'frontier.md'), 'utf8');

// The frontier as `npm run simulate -- --frontier` writes it, reduced to one seed, three knob
// values per policy and the shortest trace so the suite can afford it.
describe('npm run simulate -- --frontier', () => {
  it('writes one plot per trace and a table of every policy at every knob value', async () => {
    const out = mkdtempSync(join(tmpdir(), 'frontier-'));
    try {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'simulator/cli.ts', '--frontier', '--seeds', '1', '--knobs', '3', '--trace', 'k6-ramp', '--out', out],
        { timeout: 600_000 },
      );
      assert.match(stdout, /^k6-ramp: ours (dominates every baseline point|does not dominate \d+ baseline point\(s\))$/m);
      assert.deepEqual(readdirSync(out).sort(), ['frontier-k6-ramp.svg', 'frontier.json', 'frontier.md']);
      assert.match(table0(out), /\*\*k6-ramp\*\*: written by `npm run simulate -- --frontier --seeds 1 --knobs 3 --trace k6-ramp --out /);
      const table = readFileSync(join(out, 'frontier.md'), 'utf8');
      const [points = '', gaps = ''] = table.split('## Where ours does not dominate');
      const rows = points.split('\n').filter((line) => line.startsWith('| k6-ramp |'));
      assert.equal(rows.length, 4 * 3, table);
      for (const policy of ['hpa', 'keda', 'tuned', 'ours']) {
        assert.equal(rows.filter((r) => r.startsWith(`| k6-ramp | ${policy} |`)).length, 3, policy);
      }
      const dominated = /^\n\nOurs dominates (?:(\d) of the|all) 9 baseline points \(k6-ramp (\d) of 9\)\./.exec(gaps);
      assert.ok(dominated, gaps);
      // The count and the trace's count agree ("all" is all nine).
      assert.equal(dominated[1] ?? '9', dominated[2], gaps);
      // One row per baseline point ours does not dominate.
      assert.equal(gaps.split('\n').filter((line) => line.startsWith('| k6-ramp |')).length, 9 - Number(dominated[2]), gaps);
      const svg = readFileSync(join(out, 'frontier-k6-ramp.svg'), 'utf8');
      assert.equal((svg.match(/<polyline/g) ?? []).length, 4);
      assert.equal((svg.match(/<circle/g) ?? []).length, 12);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('dominance', () => {
  const point = (policy: FrontierPoint['policy'], violationMinutes: number, cost: number): FrontierPoint => ({
    trace: 't',
    policy,
    knob: 0.5,
    seeds: [1],
    violationMinutes,
    cost,
  });

  it('leaves a baseline point undominated when no point of ours is both no dearer and no worse', () => {
    const points = [point('ours', 10, 5), point('ours', 4, 8), point('hpa', 12, 6), point('tuned', 3, 9), point('keda', 6, 6)];
    assert.deepEqual(
      undominated(points, 't').map((p) => p.policy),
      ['tuned', 'keda'],
    );
  });

  it('measures how far ours is from each point it does not dominate, along each axis', () => {
    const points = [point('ours', 10, 5), point('ours', 4, 8), point('hpa', 12, 6), point('tuned', 3, 9), point('keda', 6, 4)];
    const gaps = frontierGaps(points, 't').map((g) => ({
      baseline: g.baseline.policy,
      fewestMinutesAtCost: g.fewestMinutesAtCost?.violationMinutes,
      leastCostAtMinutes: g.leastCostAtMinutes?.cost,
    }));
    assert.deepEqual(gaps, [
      // At no more than $9 ours' best is 4 minutes; no point of ours violates 3 or fewer.
      { baseline: 'tuned', fewestMinutesAtCost: 4, leastCostAtMinutes: undefined },
      // Every point of ours costs more than $4; the one at 4 minutes is the cheapest that violates no longer than 6.
      { baseline: 'keda', fewestMinutesAtCost: undefined, leastCostAtMinutes: 8 },
    ]);
    const table = frontierMarkdown(points);
    assert.match(table, /Ours dominates 1 of the 3 baseline points \(t 1 of 3\)\./);
    assert.match(table, /\| t \| keda \| 0\.5 \| 6\.0 min \| \$4\.00 \| none as cheap \| \$8\.00 at 0\.5 \(\+\$4\.00\) \|/);
    assert.match(table, /\| t \| tuned \| 0\.5 \| 3\.0 min \| \$9\.00 \| 4\.0 min at 0\.5 \(\+1\.0\) \| none as few \|/);
  });

  it('says so, without an empty table, when ours dominates every baseline point or there is none', () => {
    const all = frontierMarkdown([point('ours', 2, 3), point('hpa', 12, 6), point('keda', 6, 4)]);
    assert.match(all, /Ours dominates all 2 baseline points \(t 2 of 2\)\.\n$/);
    assert.doesNotMatch(all, /\| trace \| baseline \|/);
    const alone = frontierMarkdown([point('ours', 2, 3)]);
    assert.match(alone, /## Where ours does not dominate\n\nThis run has no baseline points to compare with\.\n$/);
  });

  it('replaces only the traces, policies and knob values a run ran in the frontier kept so far', () => {
    const earlier = [
      point('ours', 10, 5),
      { ...point('hpa', 30, 3), knob: 0.8 },
      point('hpa', 20, 4),
      { ...point('hpa', 12, 6), trace: 'week' },
    ];
    const merged = mergeFrontier(JSON.stringify(earlier), [point('hpa', 1, 1)]);
    assert.deepEqual(
      merged.map((p) => `${p.trace}:${p.policy}:${p.knob}:${p.violationMinutes}`),
      ['t:hpa:0.5:1', 't:hpa:0.8:30', 't:ours:0.5:10', 'week:hpa:0.5:12'],
    );
  });
});

// The knob must span cheap to safe: before the learned curves followed it, their caps fixed the
// size and 0.5 → 0.9 moved the gate rush's dollars up and down by a few cents. Simulated time only.
describe("ours' knob on the gate rush (seed 1)", () => {
  it('costs strictly less at each higher knob, and violates no less', () => {
    const trace = allTraces(1).find((t) => t.name === 'gate-rush');
    assert.ok(trace);
    const runs = [0.5, 0.7, 0.9].map((knob) => runTrace(trace, 'ours', SIMULATED_SPEC, 1, knob));
    const costs = runs.map((r) => r.totalCost);
    assert.ok(costs[0]! > costs[1]! && costs[1]! > costs[2]!, `costs ${costs.join(', ')}`);
    // A real trade, not noise: the cheap end saves at least a fifth of the safe end's dollars.
    assert.ok(costs[2]! < 0.8 * costs[0]!, `costs ${costs.join(', ')}`);
    const minutes = runs.map((r) => r.totalViolationMinutes);
    assert.ok(minutes[0]! <= minutes[1]! && minutes[1]! <= minutes[2]!, `minutes ${minutes.join(', ')}`);
  });
});
