/**
 * The cost report as one self-contained HTML page for finance: the figures first, then charts
 * (inline SVG, rendered here on the server) and the tables behind them. No scripts, no network.
 */
import { COMPONENTS } from '../../platform-api/v1alpha1/index.js';
import { NOT_REPLICAS, type CostLine } from './prices.js';
import type { CostReport } from './report.js';
import { escapeXml as esc, groupedBarChart, lineChart, stackedAreaChart, type Series } from './svg-charts.js';

/** One colour per line, shared by every chart so a line reads the same everywhere. */
export const LINE_COLORS: Record<CostLine, string> = {
  api: '#2563eb',
  'worker-uploads': '#16a34a',
  'worker-reports': '#9333ea',
  'postgres-replicas': '#ea580c',
  'redis-shards': '#dc2626',
  'postgres-primary': '#0891b2',
  'shared-services': '#a16207',
};
export const AUTOSCALED_COLOR = '#0f766e';
export const FIXED_FLEET_COLOR = '#9ca3af';

export function renderHtml(report: CostReport): string {
  const money = moneyFormat(report.currency);
  const title = `Cost report — ${report.platform ?? 'platform'} — ${report.month ?? `${report.period.from.slice(0, 10)} to ${report.period.to.slice(0, 10)}`}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<p class="muted">${esc(periodText(report))}</p>
${summaryCards(report, money)}
<h2>Cost per hour</h2>
${costChart(report, money)}
<h2>Replicas</h2>
${replicaChart(report)}
<h2>Autoscaled vs. a fixed fleet sized for the peak</h2>
${fleetChart(report, money)}
<h2>By component</h2>
${linesTable(report, money)}
<h2>Shared services</h2>
${sharedTable(report, money)}
<h2>Scaling decisions that cost most</h2>
${decisionsTable(report, money)}
<p class="muted">${esc(methodNote(report, money))}</p>
</main></body></html>
`;
}

function periodText(report: CostReport): string {
  const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');
  const state = report.period.complete ? 'complete' : `to date (as of ${time(report.period.asOf)})`;
  return `${time(report.period.from)} to ${time(report.period.to)} UTC, ${state}.`;
}

function summaryCards(report: CostReport, money: (v: number) => string): string {
  const { total, spend, unitCosts } = report;
  const unit = unitMoneyFormat(report.currency);
  const cards: [string, string, string?][] = [
    [report.period.complete ? 'Total cost' : 'Cost to date', money(total.cost)],
    ['Fixed fleet at peak', money(total.fixedFleetCost)],
    [
      'Saved by autoscaling',
      money(total.saving),
      total.savingRatio === null ? undefined : `${percent(total.savingRatio)} (seed reference ${percent(unitCosts.reference.savingRatio)})`,
    ],
  ];
  if (spend.projection !== null) cards.push(['Month-end projection', money(spend.projection), `run rate ${money(spend.runRatePerHour)}/h`]);
  if (spend.monthlyBudget !== null) {
    const projected = spend.projectedBudgetRatio === null ? '' : `, projected ${percent(spend.projectedBudgetRatio)}`;
    cards.push(['Budget used', percent(spend.budgetUsedRatio ?? 0), `of ${money(spend.monthlyBudget)}${projected}`]);
  }
  if (unitCosts.per1000Requests !== null)
    cards.push(['Per 1,000 requests', unit(unitCosts.per1000Requests), `reference ${unit(unitCosts.reference.per1000Requests)}`]);
  if (unitCosts.perActiveUser !== null) cards.push(['Per active user', unit(unitCosts.perActiveUser), 'over the period']);
  if (unitCosts.perActiveUserMonth !== null && unitCosts.perActiveUserMonthVsReference !== null) {
    const versus = unitCosts.perActiveUserMonthVsReference - 1;
    const side = `${percent(Math.abs(versus))} ${versus > 0 ? 'over' : 'under'}`;
    cards.push([
      'Per active user, a month',
      unit(unitCosts.perActiveUserMonth),
      `${side} the seed's ${unit(unitCosts.reference.perUserMonth)} a month`,
    ]);
  }
  if (report.idle)
    cards.push([
      'Idle capacity',
      money(report.idle.cost),
      `${report.idle.ratio === null ? '' : `${percent(report.idle.ratio)} of `}the pods' requests, not used`,
    ]);
  cards.push([
    'Seed fleet, prorated',
    money(report.seedFleet.prorated),
    `${money(report.seedFleet.monthly)} a month × ${number(report.seedFleet.hours)} h`,
  ]);
  return `<div class="cards">${cards
    .map(
      ([label, value, note]) =>
        `<div class="card"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>${note ? `<div class="note">${esc(note)}</div>` : ''}</div>`,
    )
    .join('')}</div>`;
}

function costChart(report: CostReport, money: (v: number) => string): string {
  const series: Series[] = report.lines
    .filter((line) => line.priced && line.cost !== 0)
    .map((line) => ({ name: line.line, color: LINE_COLORS[line.line], values: report.hourly.lines[line.line]?.cost ?? [] }));
  return stackedAreaChart('Cost per hour by component', report.hourly.from, series, money);
}

function replicaChart(report: CostReport): string {
  const series: Series[] = COMPONENTS.filter((component) =>
    report.lines.some((line) => line.line === component && line.peakReplicas > 0),
  ).map((component) => ({
    name: component,
    color: LINE_COLORS[component],
    values: report.hourly.lines[component]?.averageReplicas ?? [],
  }));
  return lineChart('Average replicas per hour', report.hourly.from, series, (v) => String(Number(v.toFixed(2))));
}

function fleetChart(report: CostReport, money: (v: number) => string): string {
  const lines = report.lines.filter((line) => line.priced && line.fixedFleetCost > 0);
  return groupedBarChart(
    'Autoscaled cost vs. fixed fleet cost',
    lines.map((line) => line.line),
    [
      { name: 'autoscaled', color: AUTOSCALED_COLOR, values: lines.map((line) => line.cost) },
      { name: 'fixed fleet at peak', color: FIXED_FLEET_COLOR, values: lines.map((line) => line.fixedFleetCost) },
    ],
    money,
  );
}

function linesTable(report: CostReport, money: (v: number) => string): string {
  const rows = report.lines.map(
    (line) =>
      `<tr><td><span class="swatch" style="background:${LINE_COLORS[line.line]}"></span>${esc(line.line)}${line.priced ? '' : ' <span class="muted">(external, not priced)</span>'}</td>` +
      (NOT_REPLICAS.has(line.line)
        ? '<td>—</td><td>—</td><td>—</td>'
        : `<td>${number(line.replicaHours)}</td><td>${line.peakReplicas}</td><td>${number(line.averageReplicas)}</td>`) +
      `<td>${esc(money(line.cost))}</td><td>${esc(money(line.fixedFleetCost))}</td><td>${esc(money(line.saving))}</td></tr>`,
  );
  const { total } = report;
  if (report.idle)
    rows.push(
      `<tr class="idle"><td>Idle: requested, not used <span class="muted">(included above)</span></td><td></td><td></td><td></td>` +
        `<td>${esc(money(report.idle.cost))}</td><td></td><td></td></tr>`,
    );
  rows.push(
    `<tr class="total"><td>Total</td><td>${number(total.replicaHours)}</td><td></td><td></td><td>${esc(money(total.cost))}</td><td>${esc(money(total.fixedFleetCost))}</td><td>${esc(money(total.saving))}</td></tr>`,
  );
  return `<table><thead><tr><th>Component</th><th>Replica-hours</th><th>Peak</th><th>Average</th><th>Cost</th><th>Fixed fleet</th><th>Saving</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sharedTable(report: CostReport, money: (v: number) => string): string {
  if (report.sharedCosts.length === 0) return '<p class="muted">No shared costs configured (spec.cost.sharedCosts).</p>';
  const rows = report.sharedCosts.map(
    (item) => `<tr><td>${esc(item.name)}</td><td>${esc(money(item.monthly))}</td><td>${esc(money(item.cost))}</td></tr>`,
  );
  return `<table><thead><tr><th>Shared service</th><th>A month</th><th>This period</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function decisionsTable(report: CostReport, money: (v: number) => string): string {
  if (report.costliestDecisions.length === 0) return '<p class="muted">No scaling decisions recorded for this period.</p>';
  const rows = report.costliestDecisions.map(
    ({ decision, cost, hours }) =>
      `<tr><td>${esc(decision.time)}</td><td>${esc(decision.component)}</td><td>${decision.from} → ${decision.to}</td><td>${number(hours)}</td><td>${esc(money(cost))}</td><td>${esc(decision.reason)}</td></tr>`,
  );
  return `<table><thead><tr><th>Time</th><th>Component</th><th>Replicas</th><th>Held (h)</th><th>Cost</th><th>Reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function methodNote(report: CostReport, money: (v: number) => string): string {
  return (
    `Costs are replica-hours from the operator's scaling history times the prices in the PassPlatform spec, ` +
    `rounded per component and hour to a millionth of a ${report.currency}. The fixed fleet runs each component at its observed peak ` +
    `for the hours the platform existed in the period (from ${report.period.platformFrom.slice(0, 16).replace('T', ' ')} UTC). ` +
    `Shared services (spec.cost.sharedCosts) are monthly prices counted over the same hours at 730 hours a month, in both columns. ` +
    `The seed's fixed fleet costs ${money(report.unitCosts.reference.fixedFleetMonthly)} a month, prorated over the same hours; ` +
    `monthly figures use an average month of 30.4375 days.` +
    (report.idle
      ? ` Pods with measured usage (cAdvisor) are charged max(request, usage) of vCPU and memory per component and hour, as OpenCost allocates; ` +
        `the idle line is the part of their requests no container used.`
      : '')
  );
}

/** Money as people read sums: always in cents, with thousands separators, the same in every column and card. */
function moneyFormat(currency: string): (v: number) => string {
  const cents = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return (value) => cents.format(value);
}

/** Unit costs (per 1,000 requests, per user) are fractions of a cent: four decimals, for each of them alike. */
function unitMoneyFormat(currency: string): (v: number) => string {
  const fine = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 4, maximumFractionDigits: 4 });
  return (value) => fine.format(value);
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

function number(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

const STYLE = `
body { font-family: system-ui, sans-serif; color: #111827; background: #f9fafb; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.muted { color: #6b7280; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; margin-top: 16px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px; }
.label { color: #6b7280; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.value { font-size: 22px; font-weight: 600; margin-top: 4px; } .note { color: #6b7280; font-size: 12px; margin-top: 2px; }
svg { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 6px 8px; text-align: right; } th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 600; } tr.idle td { color: #6b7280; font-style: italic; } .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
`;
