/**
 * The cost report as CSV for spreadsheets: one row per cost line plus a total row, or with
 * `hourly` one row per line and hour (RFC 4180, header first, UTC ISO times).
 */
import type { CostReport } from './report.js';

export function renderCsv(report: CostReport, options: { hourly?: boolean } = {}): string {
  return options.hourly ? hourlyCsv(report) : summaryCsv(report);
}

function summaryCsv(report: CostReport): string {
  const header = [
    'period_from',
    'period_to',
    'line',
    'priced',
    'replica_hours',
    'peak_replicas',
    'average_replicas',
    'cost',
    'fixed_fleet_cost',
    'saving',
    'currency',
  ];
  const rows = report.lines.map((line) => [
    report.period.from,
    report.period.asOf,
    line.line,
    String(line.priced),
    decimal(line.replicaHours),
    String(line.peakReplicas),
    decimal(line.averageReplicas),
    decimal(line.cost),
    decimal(line.fixedFleetCost),
    decimal(line.saving),
    report.currency,
  ]);
  const total = report.total;
  rows.push([
    report.period.from,
    report.period.asOf,
    'total',
    'true',
    decimal(total.replicaHours),
    '',
    '',
    decimal(total.cost),
    decimal(total.fixedFleetCost),
    decimal(total.saving),
    report.currency,
  ]);
  return toCsv([header, ...rows]);
}

function hourlyCsv(report: CostReport): string {
  const rows: string[][] = [['hour_start', 'line', 'average_replicas', 'cost', 'currency']];
  report.hourly.from.forEach((from, index) => {
    for (const [line, series] of Object.entries(report.hourly.lines)) {
      rows.push([
        new Date(from).toISOString(),
        line,
        decimal(series.averageReplicas[index] ?? 0),
        decimal(series.cost[index] ?? 0),
        report.currency,
      ]);
    }
  });
  return toCsv(rows);
}

/** Up to six decimals (money is kept in micro-units), without float noise or exponent notation. */
function decimal(value: number): string {
  return value.toFixed(6).replace(/\.?0+$/, '');
}

function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
