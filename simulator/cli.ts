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
 *   --full-json          print every report whole (series and histories too) on one line, nothing else
 *   --held-out SEED      run the held-out trace families (simulator/held-out.ts) drawn from SEED
 *                        instead of the five developed traces; "date" takes today's date (UTC) as the seed
 *   --frontier           run each policy across its knob (simulator/frontier.ts) at --seeds (default
 *                        1-5) and write frontier-<trace>.svg and frontier.md into --out
 *   --knobs N            the frontier at N knob values per policy instead of all (five per baseline,
 *                        fifteen for ours: frontier.ts FRONTIER_KNOBS), spread over each policy's range
 *   --knob-values a,b    the frontier at these knob values (for every policy run) instead of --knobs
 *   --policies a,b       the frontier of these policies only (hpa, keda, tuned, ours); frontier.json keeps
 *                        every point not re-run (e.g. `--policies ours --knobs 2` after a change to ours
 *                        that leaves its default knob as it was)
 *   --out DIR            where the frontier goes (default docs/simulation); its frontier.json keeps every
 *                        point with the command that ran it, and a run replaces only the traces,
 *                        policies and knob values it ran
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkReport, formatFailure } from './check.js';
import { FRONTIER_KNOBS, fewerKnobs, frontierRenderings, mergeFrontier, runFrontier, undominated } from './frontier.js';
import { heldOutTraces } from './held-out.js';
import { POLICY_NAMES, type PolicyName } from './policies.js';
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
    'full-json': { type: 'boolean', default: false },
    'held-out': { type: 'string' },
    frontier: { type: 'boolean', default: false },
    knobs: { type: 'string' },
    policies: { type: 'string' },
    'knob-values': { type: 'string' },
    out: { type: 'string', default: 'docs/simulation' },
  },
});

/** Writes `text` to stdout and exits once it is flushed (a pipe takes writes asynchronously; exiting at once cuts them). */
async function exitAfter(text: string): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  process.exit(0);
}

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

const seeds = parseSeeds(values.seeds ?? (values.frontier ? '1-5' : values.seed));
const wanted = values.trace?.split(',').map((t) => t.trim());
const heldOutSeed =
  values['held-out'] === 'date' ? Number(new Date().toISOString().slice(0, 10).replaceAll('-', '')) : Number(values['held-out']);
if (values['held-out'] !== undefined && !Number.isSafeInteger(heldOutSeed))
  fail(`--held-out: "${values['held-out']}" is not an integer or "date"`);
if (values['held-out'] !== undefined) console.error(`held-out traces drawn from seed ${heldOutSeed}`);
const family = (seed: number) => (values['held-out'] !== undefined ? heldOutTraces(heldOutSeed + seed - 1) : allTraces(seed));
const tracesFor = (seed: number) => family(seed).filter((t) => !wanted || wanted.includes(t.name));
if (tracesFor(seeds[0] ?? 1).length === 0)
  fail(
    `no trace named ${values.trace}; traces: ${family(1)
      .map((t) => t.name)
      .join(', ')}`,
  );

if (values.frontier) {
  const count = values.knobs === undefined ? FRONTIER_KNOBS.ours.length : Number(values.knobs);
  if (!Number.isSafeInteger(count) || count < 1) fail(`--knobs: "${values.knobs}" is not a positive integer`);
  const policies = values.policies?.split(',').map((p) => p.trim()) ?? [...POLICY_NAMES];
  const unknown = policies.filter((p) => !(POLICY_NAMES as readonly string[]).includes(p));
  if (unknown.length || !policies.length) fail(`--policies: "${values.policies}"; policies: ${POLICY_NAMES.join(', ')}`);
  const knobValues = values['knob-values']?.split(',').map(Number);
  if (knobValues && (!knobValues.length || knobValues.some((k) => !(k > 0 && k <= 1))))
    fail(`--knob-values: "${values['knob-values']}" is not a list of numbers in (0, 1]`);
  const knobs = knobValues ? Object.fromEntries(POLICY_NAMES.map((p) => [p, knobValues])) : fewerKnobs(count);
  const ran = runFrontier(tracesFor, seeds, SIMULATED_SPEC, knobs as Record<PolicyName, number[]>, undefined, policies as PolicyName[]);
  mkdirSync(values.out, { recursive: true });
  const names = [...new Set(ran.map((p) => p.trace))];
  // The traces and policies run now replace theirs in frontier.json; the others stay, so one slow trace
  // or one changed policy can be re-run on its own.
  const points = mergeFrontier(
    existsSync(join(values.out, 'frontier.json')) ? readFileSync(join(values.out, 'frontier.json'), 'utf8') : undefined,
    ran,
  );
  writeFileSync(join(values.out, 'frontier.json'), `${JSON.stringify(points, null, 1)}\n`);
  for (const [file, text] of frontierRenderings(points)) writeFileSync(join(values.out, file), text);
  for (const name of names) {
    const left = undominated(points, name);
    console.log(
      `${name}: ${left.length ? `ours does not dominate ${left.length} baseline point(s)` : 'ours dominates every baseline point'}`,
    );
  }
  await exitAfter(`frontier written to ${values.out}/frontier.md and frontier-<trace>.svg\n`);
}

const reports = seeds.map((seed) => simulate(tracesFor(seed), SIMULATED_SPEC, seed));
const first = reports[0];
if (!first) fail('--seeds: no seed given');

if (values['full-json']) {
  // Everything, per-minute series and histories included, on one line: for simulator/seeds-in-parallel.ts.
  await exitAfter(`${JSON.stringify(reports)}\n`);
}

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
