/**
 * `npm run simulate [-- options]`: runs the load traces under the HPA, KEDA and our autoscaler,
 * prints the comparison table (or `--json`), and writes one SVG plot per trace.
 *
 *   --json               print the figures as JSON instead of the table
 *   --seed N             seed of every random draw (default 1); the same seed gives the same figures
 *   --seeds 1-5          several seeds (a range or a list, e.g. 1,3,5): a summary table per seed
 *                        (JSON: one report per seed); plots and --history use the first seed
 *   --check              exit 1, naming each case, when ours does not win (simulator/check.ts)
 *   --trace a,b          only these traces (k6-ramp, gate-rush, month-end, upload-deadline, week)
 *   --plots DIR          where the SVGs go (default .sim/); `--plots none` writes none
 *   --history FILE       also write every run's ReplicaChange[] history as JSON (for cost reports)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkReport, formatFailure } from './check.js';
import { plotTrace } from './plot.js';
import { toJson, toSeedsTable, toTable } from './report.js';
import { simulate } from './simulate.js';
import { allTraces } from './traces.js';
import { SIMULATED_SPEC } from './workload.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string' },
    check: { type: 'boolean', default: false },
    trace: { type: 'string' },
    plots: { type: 'string', default: '.sim' },
    history: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** "3", "1-5" or "1,3,5" → the seeds, in order. */
function parseSeeds(text: string): number[] {
  const seeds = text.split(',').flatMap((part) => {
    const range = /^\s*(-?\d+)\s*-\s*(-?\d+)\s*$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) fail(`--seeds: empty range "${part}"`);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    }
    const seed = Number(part);
    if (!/^\s*-?\d+\s*$/.test(part) || !Number.isSafeInteger(seed)) fail(`--seeds: "${part}" is not an integer or a range`);
    return [seed];
  });
  return seeds;
}

const seeds = parseSeeds(values.seeds ?? values.seed);
const wanted = values.trace?.split(',').map((t) => t.trim());
const tracesFor = (seed: number) => allTraces(seed).filter((t) => !wanted || wanted.includes(t.name));
if (tracesFor(seeds[0] ?? 1).length === 0)
  fail(
    `no trace named ${values.trace}; traces: ${allTraces(1)
      .map((t) => t.name)
      .join(', ')}`,
  );

const reports = seeds.map((seed) => simulate(tracesFor(seed), SIMULATED_SPEC, seed));
const first = reports[0];
if (!first) fail('--seeds: no seed given');

if (values.plots !== 'none') {
  mkdirSync(values.plots, { recursive: true });
  for (const t of first.traces) writeFileSync(join(values.plots, `${t.trace}.svg`), plotTrace(t.trace, t.description, t.runs));
}
if (values.history) {
  mkdirSync(dirname(values.history), { recursive: true });
  writeFileSync(values.history, `${JSON.stringify(toJson(first, { history: true }), null, 2)}\n`);
}
if (values.json) {
  const json = reports.map((r) => toJson(r, { history: false }));
  console.log(JSON.stringify(reports.length === 1 ? json[0] : json, null, 2));
} else {
  console.log(reports.length === 1 ? toTable(first) : toSeedsTable(reports));
  if (values.plots !== 'none')
    console.log(`\nplots (seed ${first.seed}): ${first.traces.map((t) => join(values.plots as string, `${t.trace}.svg`)).join(', ')}`);
}
if (values.check) {
  const failures = reports.flatMap((r) => checkReport(r));
  for (const failure of failures) console.error(`check failed: ${formatFailure(failure)}`);
  if (failures.length) process.exit(1);
  console.error(`check passed: ours wins on ${reports.length * first.traces.length} trace × seed runs`);
}
