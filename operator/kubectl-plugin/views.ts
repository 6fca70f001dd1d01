/**
 * What `kubectl passplatform` shows, as plain data built from what it read (pure: no I/O), and the
 * text a person reads. `--output json` prints the data as is.
 */
import { NOT_REPLICAS, type CostLine } from '../cost/prices.js';
import type { CostReport } from '../cost/report.js';
import type { Component, PassPlatform, ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';

/** One component: the replicas the platform wants and, for Deployments, how many are ready. */
export interface ComponentView {
  component: Component | string;
  desired: number | null;
  ready: number | null;
}

export interface StatusView {
  name: string;
  namespace: string;
  phase: string;
  slaState: string;
  components: ComponentView[];
  conditions: { type: string; status: string; reason: string; message: string; since: string }[];
}

export interface DeploymentReplicas {
  component: string;
  desired: number | null;
  ready: number | null;
}

export function statusView(platform: PassPlatform, deployments: DeploymentReplicas[]): StatusView {
  const wanted = platform.status?.replicas ?? {};
  const byComponent = new Map(deployments.map((d) => [d.component, d]));
  const names = [...new Set([...Object.keys(wanted), ...deployments.map((d) => d.component)])].sort();
  return {
    name: platform.metadata.name,
    namespace: platform.metadata.namespace ?? 'default',
    phase: platform.status?.phase ?? 'Unknown',
    slaState: platform.status?.slaState ?? 'Unknown',
    components: names.map((component) => ({
      component,
      desired: byComponent.get(component)?.desired ?? wanted[component as Component] ?? null,
      ready: byComponent.get(component)?.ready ?? null,
    })),
    conditions: (platform.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      since: c.lastTransitionTime,
    })),
  };
}

export interface DecisionsView {
  name: string;
  namespace: string;
  decisions: ScalingDecisionRecord[];
}

/** The last `limit` decisions, newest first. */
export function decisionsView(platform: PassPlatform, limit = 20): DecisionsView {
  const decisions = [...(platform.status?.decisions ?? [])].sort((a, b) => b.time.localeCompare(a.time)).slice(0, limit);
  return { name: platform.metadata.name, namespace: platform.metadata.namespace ?? 'default', decisions };
}

export interface CostView {
  name: string;
  namespace: string;
  month: string | null;
  currency: string;
  monthToDate: number;
  projection: number | null;
  monthlyBudget: number | null;
  projectedBudgetRatio: number | null;
  ratePerHour: number;
  saving: number;
  lines: { component: string; cost: number; replicaHours: number }[];
}

export function costView(name: string, namespace: string, report: CostReport): CostView {
  return {
    name,
    namespace,
    month: report.month ?? null,
    currency: report.currency,
    monthToDate: report.total.cost,
    projection: report.spend.projection,
    monthlyBudget: report.spend.monthlyBudget,
    projectedBudgetRatio: report.spend.projectedBudgetRatio,
    ratePerHour: report.spend.ratePerHour,
    saving: report.total.saving,
    lines: report.lines.map((l) => ({ component: l.line, cost: l.cost, replicaHours: l.replicaHours })),
  };
}

/** Columns padded to their widest cell, two spaces apart, like `kubectl get`. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

const count = (n: number | null) => (n === null ? '-' : String(n));

export function renderStatus(view: StatusView): string {
  return [
    `PassPlatform ${view.namespace}/${view.name}: ${view.phase}, SLA ${view.slaState}`,
    '',
    table(
      ['COMPONENT', 'DESIRED', 'READY'],
      view.components.map((c) => [c.component, count(c.desired), count(c.ready)]),
    ),
    '',
    table(
      ['CONDITION', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
      view.conditions.map((c) => [c.type, c.status, c.reason, c.since, c.message]),
    ),
  ].join('\n');
}

export function renderDecisions(view: DecisionsView): string {
  if (!view.decisions.length) return `PassPlatform ${view.namespace}/${view.name}: no scaling decisions yet`;
  return [
    `PassPlatform ${view.namespace}/${view.name}: last ${view.decisions.length} scaling decisions, newest first`,
    '',
    table(
      ['TIME', 'COMPONENT', 'FROM', 'TO', 'REASON'],
      view.decisions.map((d) => [d.time, d.component, String(d.from), String(d.to), d.reason]),
    ),
  ].join('\n');
}

export function renderCost(view: CostView): string {
  const money = (n: number | null) =>
    n === null ? '-' : `${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${view.currency}`;
  const budget =
    view.monthlyBudget === null
      ? ''
      : ` of a ${money(view.monthlyBudget)} budget (${Math.round((view.projectedBudgetRatio ?? 0) * 100)} % projected)`;
  return [
    `PassPlatform ${view.namespace}/${view.name}: cost for ${view.month ?? 'the period'}`,
    '',
    `  month to date  ${money(view.monthToDate)}`,
    `  projection     ${money(view.projection)}${budget}`,
    `  spending now   ${money(view.ratePerHour)} per hour`,
    `  saved          ${money(view.saving)} against a fixed fleet sized for the peak`,
    '',
    table(
      ['COMPONENT', 'COST', 'REPLICA-HOURS'],
      // Shared services are no replicas: no replica-hours to show.
      view.lines.map((l) => [l.component, money(l.cost), NOT_REPLICAS.has(l.component as CostLine) ? '-' : l.replicaHours.toFixed(1)]),
    ),
  ].join('\n');
}
