/**
 * The simulator's figures as a terminal/Markdown table and as JSON (the same numbers), without
 * the per-minute series and replica histories unless asked for.
 */
import type { Component } from '../operator/spec.js';
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

function actions(run: Summary): number {
  return Object.values(run.scalingActions).reduce((a, b) => a + b, 0);
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
      String(actions(run)),
      `${run.maxRecoverySeconds} s`,
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
