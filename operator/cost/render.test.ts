import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { at, NOVEMBER_HISTORY, TEST_PRICES, TEST_SHAPES } from './fixtures.js';
import { appendChanges, appendPrices, emptyHistory } from './history-document.js';
import { colourCounts, findChromium, screenshot } from '../../testing/chromium.js';
import { renderCsv } from './render-csv.js';
import { AUTOSCALED_COLOR, FIXED_FLEET_COLOR, LINE_COLORS, renderHtml } from './render-html.js';
import { computeCostReport } from './report.js';

/** The seed's shared services: $105 a month, 720 h × round(105 / 730, 6) = 720 × 0.143836 = 103.56192 in November. */
const SHARED_COSTS = [
  { name: 'load-balancer', monthly: 45 },
  { name: 'cdn', monthly: 25 },
  { name: 'monitoring', monthly: 35 },
];

const report = computeCostReport({
  history: appendPrices(
    appendChanges(emptyHistory(), NOVEMBER_HISTORY),
    { ...TEST_PRICES, sharedCosts: SHARED_COSTS },
    at('2026-01-01T00:00:00Z'),
  ),
  shapes: TEST_SHAPES,
  period: { month: '2026-11' },
  now: at('2026-12-15T00:00:00Z'),
  usage: { requests: 2_000_000, activeUsers: 4_000 },
  platform: 'campus/pass',
  decisions: [
    { component: 'api', from: 2, to: 4, time: '2026-11-10T12:30:00.000Z', reason: 'p95 auth 0.31 s > 0.2 s', signals: { p95: 0.31 } },
  ],
});

describe('renderCsv', () => {
  it('one row per line and nothing else, money to the micro-unit', () => {
    const lines = renderCsv(report).trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'period_from,period_to,line,priced,replica_hours,peak_replicas,average_replicas,cost,fixed_fleet_cost,saving,idle_cost,currency',
    );
    assert.equal(lines[1], '2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,api,true,2421.666667,4,3.363426,60.541667,72,11.458333,,USD');
    assert.equal(lines[3], '2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,worker-reports,true,0,0,0,0,0,0,,USD');
    // Shared services are no replicas: their replica columns are empty.
    assert.equal(lines[7], '2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,shared-services,true,,,,103.56192,103.56192,0,,USD');
    assert.equal(lines.length, 8);
    assert.ok(!lines.some((line) => line.includes(',total,')));
  });

  it('totals apart: summing the line rows gives them', () => {
    const [header, values] = renderCsv(report, 'totals').trimEnd().split('\r\n');
    const totals = Object.fromEntries((header ?? '').split(',').map((name, i) => [name, (values ?? '').split(',')[i]]));
    // replica-hours: api 2421.666667 + uploads 721 + Postgres 720 + 720 + Redis 3 × 720 (shared services are none)
    assert.equal(totals.replica_hours, '6742.666667');
    // 1250.463667 for the replicas + 103.56192 shared, on both sides
    assert.equal(totals.cost, '1354.025587');
    assert.equal(totals.fixed_fleet_cost, '1437.43392');
    const rows = renderCsv(report)
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((row) => row.split(','));
    const micros = (text: string | undefined) => Math.round(Number(text) * 1e6);
    assert.equal(
      rows.reduce((sum, row) => sum + micros(row[7]), 0),
      micros(totals.cost),
    );
  });

  it('hourly rows carry the split hours', () => {
    const rows = renderCsv(report, 'hourly').split('\r\n');
    assert.equal(rows.length, 1 + 720 * 7 + 1);
    assert.ok(rows.includes('2026-11-30T23:00:00.000Z,api,2.666667,0.066667,USD'));
  });
});

describe('renderHtml', () => {
  const html = renderHtml(report);

  it('is one self-contained page: figures, three inline SVG charts, no script or remote resource', () => {
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    assert.match(html, /\$1,354\.03</);
    // The shared services item by item: a month, and November's 720 hours of it.
    assert.match(html, /<td>load-balancer<\/td><td>\$45\.00<\/td><td>\$44\.38<\/td>/);
    assert.match(html, /p95 auth 0\.31 s &#62; 0\.2 s/);
  });

  it('renders its charts in headless Chromium', async (t) => {
    const chromium = findChromium();
    if (!chromium) {
      t.skip('chromium not found (apt-get install -y chromium): the screenshot check did not run');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'cost-report-'));
    try {
      const page = join(dir, 'report.html');
      const shot = join(dir, 'report.png');
      writeFileSync(page, html);
      await screenshot(chromium, `file://${page}`, shot, { windowSize: [1100, 1900] });
      assert.ok(existsSync(shot), 'chromium wrote no screenshot');
      if (process.env.COST_REPORT_SCREENSHOT) writeFileSync(process.env.COST_REPORT_SCREENSHOT, readFileSync(shot));
      const png = PNG.sync.read(readFileSync(shot));
      assert.equal(png.width, 1100);
      const counts = colourCounts(png);
      // Every colour a chart draws with must be on screen as solid fill, not just a legend swatch (144 px).
      for (const [name, colour] of Object.entries({ ...LINE_COLORS, autoscaled: AUTOSCALED_COLOR, fixed: FIXED_FLEET_COLOR })) {
        if (name === 'worker-reports') continue; // never ran: no area, no line, no bar
        assert.ok((counts.get(colour) ?? 0) > 400, `${name} (${colour}): ${counts.get(colour) ?? 0} pixels`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
