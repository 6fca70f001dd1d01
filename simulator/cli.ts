/**
 * `npm run simulate [-- options]`: runs the load traces under the HPA, KEDA and our autoscaler,
 * prints the comparison table (or `--json`), and writes one SVG plot per trace.
 *
 *   --json               print the figures as JSON instead of the table
 *   --seed N             seed of every random draw (default 1); the same seed gives the same figures
 *   --trace a,b          only these traces (k6-ramp, gate-rush, month-end, upload-deadline, week)
 *   --plots DIR          where the SVGs go (default .sim/); `--plots none` writes none
 *   --history FILE       also write every run's ReplicaChange[] history as JSON (for cost reports)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { plotTrace } from './plot.js';
import { toJson, toTable } from './report.js';
import { simulate } from './simulate.js';
import { allTraces } from './traces.js';
import { SIMULATED_SPEC } from './workload.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    trace: { type: 'string' },
    plots: { type: 'string', default: '.sim' },
    history: { type: 'string' },
  },
});

const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got "${values.seed}"`);
  process.exit(2);
}
const wanted = values.trace?.split(',').map((t) => t.trim());
const traces = allTraces(seed).filter((t) => !wanted || wanted.includes(t.name));
if (traces.length === 0) {
  console.error(`no trace named ${values.trace}; traces: ${allTraces(seed).map((t) => t.name).join(', ')}`);
  process.exit(2);
}

const report = simulate(traces, SIMULATED_SPEC, seed);

if (values.plots !== 'none') {
  mkdirSync(values.plots, { recursive: true });
  for (const t of report.traces) writeFileSync(join(values.plots, `${t.trace}.svg`), plotTrace(t.trace, t.description, t.runs));
}
if (values.history) {
  mkdirSync(dirname(values.history), { recursive: true });
  writeFileSync(values.history, `${JSON.stringify(toJson(report, { history: true }), null, 2)}\n`);
}
if (values.json) {
  console.log(JSON.stringify(toJson(report, { history: false }), null, 2));
} else {
  console.log(toTable(report));
  if (values.plots !== 'none') console.log(`\nplots: ${report.traces.map((t) => join(values.plots as string, `${t.trace}.svg`)).join(', ')}`);
}
