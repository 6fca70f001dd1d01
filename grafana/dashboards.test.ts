import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { describe, it } from 'node:test';
import { METRIC } from '../core/metric-names.js';
import { SLA_CLASS_NAMES } from '../core/sla.js';
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { metricFamily, referencedMetrics } from './referenced-metrics.js';
import { buildDashboards } from './dashboards.js';
import { DASHBOARDS_DIR } from './files.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
}

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dashboards = buildDashboards(DEFAULT_SLA, DEFAULT_ALERTS);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('dashboards', () => {
  it('cover overview, API, workers, data, autoscaler and cost with unique, stable uids', () => {
    assert.deepEqual([...dashboards.keys()], ['overview', 'api', 'workers', 'data', 'autoscaler', 'cost']);
    const uids = [...dashboards.values()].map((d) => d.uid);
    assert.equal(new Set(uids).size, uids.length);
    for (const uid of uids) assert.match(uid, /^passplatform-[a-z]+$/);
  });

  for (const [name, dashboard] of dashboards) {
    it(`${name}: every panel queries Prometheus through the datasource variable, with unique ids and a valid grid`, () => {
      const templating = (dashboard.templating as { list: { name: string; type: string; query: unknown; datasource?: unknown }[] }).list;
      assert.deepEqual(templating[0] && { name: templating[0].name, type: templating[0].type, query: templating[0].query }, {
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      for (const variable of templating.slice(1)) assert.deepEqual(variable.datasource, DATASOURCE);
      const panels = dashboard.panels as Panel[];
      const ids = panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, 'duplicate panel ids');
      const graphs = panels.filter((p) => p.type !== 'row');
      assert.ok(graphs.length >= 4, 'too few panels');
      for (const panel of graphs) {
        assert.deepEqual(panel.datasource, DATASOURCE, panel.title);
        assert.ok(panel.targets?.length, `${panel.title} has no targets`);
        for (const target of panel.targets) {
          assert.ok(target.expr.trim().length > 0, `${panel.title} has an empty query`);
          assert.deepEqual(target.datasource, DATASOURCE);
          assert.match(target.expr, /\$namespace|operator_is_leader/, `${panel.title} ignores the namespace variable`);
        }
        assert.equal(new Set(panel.targets.map((t) => t.refId)).size, panel.targets.length);
        assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} overflows the grid`);
      }
    });
  }

  it('show every SLA class against its own target on the overview', () => {
    const overview = dashboards.get('overview');
    const text = JSON.stringify(overview);
    for (const slaClass of SLA_CLASS_NAMES) assert.ok(text.includes(`(target ${DEFAULT_SLA[slaClass]}s)`), slaClass);
  });

  it('draw a platform’s own thresholds', () => {
    const custom = buildDashboards({ ...DEFAULT_SLA, auth: 0.15 }, { ...DEFAULT_ALERTS, criticalErrorRatio: 0.07 });
    const text = JSON.stringify(custom.get('overview'));
    assert.ok(text.includes('"value":0.07'));
    assert.ok(text.includes('auth (target 0.15s)'));
  });

  it('every panel query is valid PromQL once Grafana has substituted its variables (promtool)', async () => {
    const exprs = [...dashboards.values()].flatMap((d) => (d.panels as Panel[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr)));
    const substituted = exprs.map((e) => e.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'campus'));
    const rules = {
      groups: [{ name: 'dashboard-queries', rules: substituted.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
    };
    const dir = mkdtempSync(join(tmpdir(), 'passplatform-dashboards-'));
    try {
      writeFileSync(join(dir, 'queries.rules.yml'), dump(rules, { lineWidth: -1 }));
      // --lint=none: several panels share one query text on purpose (stat and time series).
      await promisify(execFile)(process.env.PROMTOOL ?? 'promtool', ['check', 'rules', '--lint=none', join(dir, 'queries.rules.yml')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checked-in JSON files are the built dashboards', () => {
    for (const [name, dashboard] of dashboards) {
      const onDisk = JSON.parse(readFileSync(join(root, DASHBOARDS_DIR, `${name}.json`), 'utf8')) as unknown;
      assert.deepEqual(onDisk, JSON.parse(JSON.stringify(dashboard)));
    }
  });
});

describe('referenced metrics', () => {
  it('every metric an alert or panel reads is one the platform names in core/metric-names.ts', () => {
    const known = new Set<string>(Object.values(METRIC));
    const references = referencedMetrics();
    assert.ok(references.length > 20);
    const unknown = references.filter((r) => !known.has(metricFamily(r.name)));
    assert.deepEqual(unknown, []);
  });
});
