/**
 * A small typed builder for Grafana dashboard JSON (schema 39): time series and stat panels laid
 * out in rows, every query on the `${datasource}` variable, so the files import into any Grafana
 * whatever its Prometheus data source is called.
 */

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
const SCHEMA_VERSION = 39;
const GRID_WIDTH = 24;

export type Unit = 's' | 'percentunit' | 'reqps' | 'short' | 'ops' | 'bytes' | 'currencyUSD' | 'none';

export interface Query {
  expr: string;
  legend?: string;
}

export interface Threshold {
  value: number;
  color: 'green' | 'yellow' | 'orange' | 'red';
}

export interface PanelSpec {
  kind: 'timeseries' | 'stat';
  title: string;
  description?: string;
  unit: Unit;
  queries: Query[];
  /** Steps above the base colour; drawn as lines on time series. */
  thresholds?: Threshold[];
  /** Colour below the first threshold: green unless low values are the bad ones. */
  baseColor?: Threshold['color'];
  /** Width in grid columns (24 per row); panels of a row share the row evenly when unset. */
  width?: number;
  min?: number;
  max?: number;
  stack?: boolean;
}

export interface Row {
  title: string;
  panels: PanelSpec[];
  height?: number;
}

export interface Variable {
  name: string;
  label: string;
  /** `label_values(metric, label)` */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Variable[];
  rows: Row[];
}

export function timeseries(title: string, unit: Unit, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: 'timeseries', title, unit, queries, ...extra };
}

export function stat(title: string, unit: Unit, queries: Query[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: 'stat', title, unit, queries, ...extra };
}

/** The dashboard JSON Grafana imports. Panel ids are assigned in order, so they are stable across runs. */
export function buildDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: GRID_WIDTH, h: 1 }, panels: [] });
    y += 1;
    const height = row.height ?? 8;
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? Math.floor(GRID_WIDTH / row.panels.length);
      if (x + w > GRID_WIDTH) {
        x = 0;
        y += height;
      }
      panels.push(panelJson(panel, id++, { x, y, w, h: height }));
      x += w;
    }
    y += height;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['passplatform'], asDropdown: true, title: 'PassPlatform', includeVars: true, keepTime: true }],
    templating: { list: [datasourceVariable(), ...spec.variables.map(queryVariable)] },
    panels,
  };
}

function panelJson(panel: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const steps = [{ color: panel.baseColor ?? 'green', value: null }, ...(panel.thresholds ?? [])];
  const custom =
    panel.kind === 'timeseries'
      ? {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: panel.stack ? 30 : 10,
          showPoints: 'never',
          stacking: { mode: panel.stack ? 'normal' : 'none', group: 'A' },
          thresholdsStyle: { mode: panel.thresholds?.length ? 'line' : 'off' },
        }
      : {};
  return {
    id,
    type: panel.kind,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource: DATASOURCE,
    gridPos,
    targets: panel.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend ?? '__auto',
      range: true,
    })),
    fieldConfig: {
      defaults: {
        unit: panel.unit,
        ...(panel.min !== undefined ? { min: panel.min } : {}),
        ...(panel.max !== undefined ? { max: panel.max } : {}),
        thresholds: { mode: 'absolute', steps },
        color: { mode: panel.kind === 'stat' ? 'thresholds' : 'palette-classic' },
        custom,
      },
      overrides: [],
    },
    options:
      panel.kind === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'background',
            graphMode: 'area',
            textMode: 'auto',
          }
        : {
            legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max', 'lastNotNull'] },
            tooltip: { mode: 'multi', sort: 'desc' },
          },
  };
}

function datasourceVariable(): Record<string, unknown> {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
  };
}

function queryVariable(v: Variable): Record<string, unknown> {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: v.query, refId: `${v.name}-variable` },
    definition: v.query,
    refresh: 2,
    includeAll: false,
    multi: false,
    sort: 1,
    current: {},
    hide: 0,
    options: [],
  };
}
