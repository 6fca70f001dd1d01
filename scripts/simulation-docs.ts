/**
 * The simulator's figures as they are checked in: the plots in docs/simulation/, the tables of
 * docs/simulation/README.md and README.md (between `<!-- generated:NAME -->` markers, the prose
 * around them stays hand-written), and the week's cost report in docs/cost/. Everything is
 * recomputed from the seeds, so a change to the autoscaler, the model or the cost report that
 * moves a figure shows as a stale file.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendChanges, emptyHistory } from '../operator/cost/history-document.js';
import { renderReport, reportFromData } from '../operator/cost/service.js';
import { decisionsOf } from '../operator/cost/simulated-decisions.js';
import type { CostReport } from '../operator/cost/report.js';
import { DEFAULT_SPEC, type ReplicaChange } from '../platform-api/v1alpha1/index.js';
import { frontierRenderings, type FrontierPoint } from '../simulator/frontier.js';
import { plotTrace } from '../simulator/plot.js';
import { toSeedsTable, toTable, type SimulationReport } from '../simulator/report.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SIMULATION_DIR = 'docs/simulation';
export const COST_DIR = 'docs/cost';
export const SIMULATION_README = `${SIMULATION_DIR}/README.md`;
export const ROOT_README = 'README.md';
/** The seed of the detailed table, the plots and the cost reports; the summary runs all of SEEDS. */
const SEEDS = [1, 2, 3, 4, 5];
const COST_TRACE = 'week';
const COST_POLICIES = [
  ['hpa', 'HPA'],
  ['keda', 'KEDA'],
  ['tuned', 'tuned stock recipe'],
  ['ours', 'ours'],
] as const;

/** Every file this module writes: plots and the cost report whole, the two READMEs with their tables replaced. */
export function simulationDocFiles(readFile: (path: string) => string): Map<string, string> {
  // One process per seed (simulator/seeds-in-parallel.ts): the same figures as in-process, in the time of one seed.
  const reports = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', 'simulator/seeds-in-parallel.ts', ...SEEDS.map(String)], {
      cwd: ROOT,
      maxBuffer: 4096 * 2 ** 20,
      encoding: 'utf8',
    }),
  ) as SimulationReport[];
  const [first] = reports as [SimulationReport, ...SimulationReport[]];
  const files = new Map<string, string>();
  for (const t of first.traces) files.set(`${SIMULATION_DIR}/${t.trace}.svg`, plotTrace(t.trace, t.description, t.runs));

  const costs = COST_POLICIES.map(([policy, label]) => ({ label, report: weekCostReport(first, policy) }));
  const ours = costs.find((c) => c.label === 'ours');
  if (!ours) throw new Error('no cost report for ours');
  files.set(`${COST_DIR}/${COST_TRACE}-ours.html`, renderReport(ours.report, 'html').body);

  // The frontier's runs take an hour (`npm run simulate -- --frontier`); its tables and plots are
  // rendered again from the points it checked in.
  const frontier = JSON.parse(readFile(`${SIMULATION_DIR}/frontier.json`)) as FrontierPoint[];
  for (const [file, text] of frontierRenderings(frontier)) files.set(`${SIMULATION_DIR}/${file}`, text);

  files.set(
    SIMULATION_README,
    replaceSections(readFile(SIMULATION_README), SIMULATION_README, { 'seed-table': toTable(first), 'seeds-table': toSeedsTable(reports) }),
  );
  files.set(
    ROOT_README,
    replaceSections(readFile(ROOT_README), ROOT_README, { 'simulation-summary': summaryTable(first), 'simulation-cost': costTable(costs) }),
  );
  return files;
}

/** The finance report of one policy's run of the week trace, from its replica history, as the cost CLI prices it. */
function weekCostReport(report: SimulationReport, policy: string): CostReport {
  const run = report.traces.find((t) => t.trace === COST_TRACE)?.runs.find((r) => r.policy === policy);
  if (!run) throw new Error(`no ${COST_TRACE}/${policy} run`);
  const history: ReplicaChange[] = run.history;
  const from = Math.min(...history.map((change) => change.at));
  return reportFromData(
    {
      sizing: DEFAULT_SPEC,
      prices: DEFAULT_SPEC.cost,
      decisions: decisionsOf(history, policy),
      history: appendChanges(emptyHistory(), history),
    },
    // Everything is in the past: nothing is projected past the run's end. The label names the run, not a file.
    {
      period: { from, to: from + run.durationMinutes * 60_000 },
      now: Number.MAX_SAFE_INTEGER,
      platform: `simulated ${COST_TRACE}, seed ${report.seed}, ${policy}`,
    },
  );
}

const POLICY_ORDER = ['hpa', 'keda', 'tuned', 'ours'] as const;

/** README.md's short table: per trace, SLA-violation minutes and replica-hours, ours in bold where it is lowest. */
function summaryTable(report: SimulationReport): string {
  const lines = [
    '| trace | SLA-violation minutes (HPA / KEDA / tuned / ours) | replica-hours (HPA / KEDA / tuned / ours) |',
    '|---|---|---|',
  ];
  for (const t of report.traces) {
    const runs = POLICY_ORDER.map((p) => t.runs.find((r) => r.policy === p));
    const cell = (value: (run: NonNullable<(typeof runs)[number]>) => number, digits: number) => {
      const values = runs.map((run) => (run ? value(run) : Number.NaN));
      const rounded = values.map((v) => Number(v.toFixed(digits)));
      const text = values.map((v) => v.toFixed(digits));
      const ours = rounded[rounded.length - 1] as number;
      if (rounded.slice(0, -1).every((v) => ours < v)) text[text.length - 1] = `**${text[text.length - 1]}**`;
      return text.join(' / ');
    };
    lines.push(`| ${t.trace} | ${cell((r) => r.totalViolationMinutes, 0)} | ${cell((r) => r.totalReplicaHours, 1)} |`);
  }
  return lines.join('\n');
}

const money = (value: number, digits: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** README.md's cost table: the week under each policy as the finance report prices it. */
function costTable(costs: readonly { label: string; report: CostReport }[]): string {
  const lines = ['| policy | replica-hours | cost (USD) | fixed fleet sized for its peak | saving |', '|---|---|---|---|---|'];
  for (const { label, report } of costs) {
    const { replicaHours, cost, fixedFleetCost, saving } = report.total;
    lines.push(`| ${label} | ${money(replicaHours, 1)} | ${money(cost, 2)} | ${money(fixedFleetCost, 2)} | ${money(saving, 2)} |`);
  }
  return lines.join('\n');
}

/**
 * `text` with what stands between `<!-- generated:NAME -->` and `<!-- end generated:NAME -->`
 * replaced by each section's content; a missing marker is an error, not a silent skip.
 */
export function replaceSections(text: string, path: string, sections: Record<string, string>): string {
  let result = text;
  for (const [name, content] of Object.entries(sections)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- end generated:${name} -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${path} lacks the markers ${start} … ${end}`);
    result = `${result.slice(0, from + start.length)}\n${content}\n${result.slice(to)}`;
  }
  return result;
}
