/**
 * The cost report as CSV for spreadsheets (RFC 4180, header first, UTC ISO times): `lines`, one
 * row per cost line and nothing else, so a pivot or a SUM over the column counts each once;
 * `totals`, the totals apart in a file of their own (with the seed's fleet prorated and the unit
 * costs); `hourly`, one row per line and hour. `idle_cost` (requested, not used) is part of `cost`, so it is a
 * column, never a row: summing `cost` stays right.
 */
import { NOT_REPLICAS } from './prices.js';
import type { CostReport } from './report.js';

export type CsvPart = 'lines' | 'totals' | 'hourly';

export function renderCsv(report: CostReport, part: CsvPart = 'lines'): string {
  if (part === 'hourly') return hourlyCsv(report);
  return part === 'totals' ? totalsCsv(report) : summaryCsv(report);
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
    'idle_cost',
    'currency',
  ];
  // Shared services are not replicas: their replica columns stay empty, so the column sums to the totals' replica_hours.
  const replicas = (line: CostReport['lines'][number], value: string) => (NOT_REPLICAS.has(line.line) ? '' : value);
  const rows = report.lines.map((line) => [
    report.period.from,
    report.period.asOf,
    line.line,
    String(line.priced),
    replicas(line, decimal(line.replicaHours)),
    replicas(line, String(line.peakReplicas)),
    replicas(line, decimal(line.averageReplicas)),
    decimal(line.cost),
    decimal(line.fixedFleetCost),
    decimal(line.saving),
    line.allocation ? decimal(line.allocation.idleCost) : '',
    report.currency,
  ]);
  return toCsv([header, ...rows]);
}

function totalsCsv(report: CostReport): string {
  const { total, unitCosts, seedFleet } = report;
  const optional = (value: number | null | undefined) => (value === null || value === undefined ? '' : decimal(value));
  const fields: [string, string][] = [
    ['period_from', report.period.from],
    ['period_to', report.period.asOf],
    ['platform_from', report.period.platformFrom],
    ['replica_hours', decimal(total.replicaHours)],
    ['cost', decimal(total.cost)],
    ['fixed_fleet_cost', decimal(total.fixedFleetCost)],
    ['saving', decimal(total.saving)],
    ['saving_ratio', optional(total.savingRatio)],
    ['seed_fleet_prorated', decimal(seedFleet.prorated)],
    ['idle_cost', optional(report.idle?.cost)],
    ['requests', optional(unitCosts.requests)],
    ['active_users', optional(unitCosts.activeUsers)],
    ['cost_per_1000_requests', optional(unitCosts.per1000Requests)],
    ['cost_per_active_user', optional(unitCosts.perActiveUser)],
    ['cost_per_active_user_month', optional(unitCosts.perActiveUserMonth)],
    ['currency', report.currency],
  ];
  return toCsv([fields.map(([name]) => name), fields.map(([, value]) => value)]);
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
