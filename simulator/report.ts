/**
 * The simulator's figures as a terminal/Markdown table and as JSON (the same numbers), without
 * the per-minute series and replica histories unless asked for.
 */
import type { Component } from '../platform-api/v1alpha1/index.js';
import { SLA_KEYS, type RunResult } from './run.js';

export interface SimulationReport {
  seed: number;
  traces: { trace: string; description: string; runs: RunResult[] }[];
}

type Summary = Omit<RunResult, 'history' | 'series'>;

/** The report without bulky per-minute data; `history` keeps each run's ReplicaChange[] for the cost reports. */
export function toJson(report: SimulationReport, options: { history: boolean }): unknown {
  return {
    seed: report.seed,
    traces: report.traces.map((t) => ({
      trace: t.trace,
      description: t.description,
      runs: t.runs.map(({ history, series: _series, ...summary }) => (options.history ? { ...summary, history } : summary)),
    })),
  };
}

const SHORT: Record<Component, string> = {
  api: 'api',
  'worker-uploads': 'wu',
  'worker-reports': 'wr',
  'postgres-replicas': 'pg',
  'redis-shards': 'redis',
};

function round(value: number, digits = 1): string {
  return value.toFixed(digits);
}

function violations(run: Summary): string {
  const parts = SLA_KEYS.filter((k) => (run.violationMinutes[k] ?? 0) > 0).map((k) => `${k} ${run.violationMinutes[k]}`);
  return parts.length ? parts.join(', ') : '—';
}

function replicaHours(run: Summary): string {
  return (Object.keys(SHORT) as Component[]).map((c) => `${SHORT[c]} ${round(run.replicaHours[c])}`).join(', ');
}

function total(perComponent: Summary['scalingActions']): number {
  return Object.values(perComponent).reduce((a, b) => a + b, 0);
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A Markdown table: readable in a terminal and pasted as is into docs/simulation/README.md. */
export function toTable(report: SimulationReport): string {
  const header = [
    'trace',
    'policy',
    'SLA-violation min',
    'by SLA class',
    'replica-h',
    'by component',
    'cost',
    'actions',
    'reversals',
    'worst recovery',
  ];
  const rows = report.traces.flatMap((t) =>
    t.runs.map((run) => [
      t.trace,
      run.policy,
      String(run.totalViolationMinutes),
      violations(run),
      round(run.totalReplicaHours),
      replicaHours(run),
      `${run.currency} ${round(run.totalCost, 2)}`,
      String(total(run.scalingActions)),
      String(total(run.reversals)),
      `${run.maxRecoverySeconds} s`,
    ]),
  );
  return markdownTable(header, rows);
}

/**
 * Several seeds at a glance, as Markdown: per trace, SLA-violation minutes and cost as
 * "ours / HPA / KEDA / tuned" for each seed.
 */
export function toSeedsTable(reports: readonly SimulationReport[]): string {
  const header = ['trace', 'measure (ours / hpa / keda / tuned)', ...reports.map((r) => `seed ${r.seed}`)];
  const traces = reports[0]?.traces.map((t) => t.trace) ?? [];
  const cell = (report: SimulationReport, trace: string, value: (run: Summary) => string): string => {
    const runs = report.traces.find((t) => t.trace === trace)?.runs ?? [];
    const byPolicy = (['ours', 'hpa', 'keda', 'tuned'] as const).map((p) => runs.find((r) => r.policy === p));
    return byPolicy.map((run) => (run ? value(run) : '—')).join(' / ');
  };
  const rows = traces.flatMap((trace) => [
    [trace, 'SLA-violation min', ...reports.map((r) => cell(r, trace, (run) => String(run.totalViolationMinutes)))],
    [trace, 'cost', ...reports.map((r) => cell(r, trace, (run) => round(run.totalCost, 2)))],
  ]);
  return markdownTable(header, rows);
}
