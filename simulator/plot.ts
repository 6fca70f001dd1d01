/**
 * One SVG per trace: request rate, API pods, worker pods and read replicas over time under each
 * policy, with a strip per policy marking the minutes that violated an SLA. Plain SVG, so it
 * renders on GitHub and in any browser.
 */
import type { Component } from '../platform-api/v1alpha1/index.js';
import type { PolicyName } from './policies.js';
import type { RunResult, SeriesPoint } from './run.js';

const WIDTH = 960;
const PANEL_HEIGHT = 120;
const MARGIN = { left: 60, right: 20, top: 30 };
const STRIP_HEIGHT = 10;
const COLORS: Record<PolicyName, string> = { hpa: '#d62728', keda: '#ff7f0e', tuned: '#2ca02c', ours: '#1f77b4' };
/** Long traces are drawn at this many points at most (each the max of its span, so peaks survive). */
const MAX_POINTS = 1200;

interface Panel {
  title: string;
  value: (p: SeriesPoint) => number;
  perPolicy: boolean;
}

const PANELS: Panel[] = [
  { title: 'requests/s', value: (p) => p.requestsPerSecond, perPolicy: false },
  { title: 'API pods', value: (p) => p.replicas.api, perPolicy: true },
  { title: 'worker pods (uploads + reports)', value: (p) => p.replicas['worker-uploads'] + p.replicas['worker-reports'], perPolicy: true },
  { title: 'Postgres read replicas', value: (p) => p.replicas['postgres-replicas' satisfies Component], perPolicy: true },
];

function downsample(series: readonly SeriesPoint[], value: (p: SeriesPoint) => number): { minute: number; value: number }[] {
  const span = Math.max(1, Math.ceil(series.length / MAX_POINTS));
  const points: { minute: number; value: number }[] = [];
  for (let i = 0; i < series.length; i += span) {
    const chunk = series.slice(i, i + span);
    points.push({ minute: chunk[0]?.minute ?? i, value: Math.max(...chunk.map(value)) });
  }
  return points;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function plotTrace(trace: string, description: string, runs: readonly RunResult[]): string {
  const minutes = Math.max(1, ...runs.map((r) => r.series.length));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const x = (minute: number): number => MARGIN.left + (minute / minutes) * plotWidth;
  const parts: string[] = [];
  let top = MARGIN.top;

  for (const panel of PANELS) {
    const lines = panel.perPolicy ? runs : runs.slice(0, 1);
    const max = Math.max(1, ...lines.flatMap((r) => r.series.map(panel.value)));
    const y = (v: number): number => top + PANEL_HEIGHT - (v / max) * PANEL_HEIGHT;
    parts.push(`<text x="${MARGIN.left}" y="${top - 6}" class="title">${escape(panel.title)} (max ${Math.round(max)})</text>`);
    parts.push(`<rect x="${MARGIN.left}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" class="frame"/>`);
    for (const run of lines) {
      const points = downsample(run.series, panel.value).map((p) => `${x(p.minute).toFixed(1)},${y(p.value).toFixed(1)}`);
      const color = panel.perPolicy ? COLORS[run.policy] : '#555';
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.3" points="${points.join(' ')}"/>`);
    }
    top += PANEL_HEIGHT + 30;
  }

  parts.push(`<text x="${MARGIN.left}" y="${top - 6}" class="title">minutes violating an SLA</text>`);
  for (const run of runs) {
    parts.push(`<text x="${MARGIN.left - 6}" y="${top + STRIP_HEIGHT - 1}" class="label" text-anchor="end">${run.policy}</text>`);
    parts.push(`<rect x="${MARGIN.left}" y="${top}" width="${plotWidth}" height="${STRIP_HEIGHT}" class="frame"/>`);
    for (const point of run.series) {
      if (!point.violated) continue;
      parts.push(
        `<rect x="${x(point.minute).toFixed(1)}" y="${top}" width="${Math.max(1, plotWidth / minutes).toFixed(2)}" height="${STRIP_HEIGHT}" fill="${COLORS[run.policy]}"/>`,
      );
    }
    top += STRIP_HEIGHT + 6;
  }
  const legend = runs
    .map(
      (r, i) =>
        `<text x="${WIDTH}" y="${MARGIN.top + 14 + i * 32}" fill="${COLORS[r.policy]}" class="label"><tspan>■ ${r.policy}</tspan><tspan x="${WIDTH + 12}" dy="14">${r.totalViolationMinutes} SLA min, ${r.totalReplicaHours.toFixed(0)} replica-h</tspan></text>`,
    )
    .join('');
  const height = top + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 200}" height="${height}" viewBox="0 0 ${WIDTH + 200} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:12px;fill:#222}.label{font-size:11px}.frame{fill:none;stroke:#ccc}</style>',
    `<text x="10" y="16" class="title">${escape(trace)}: ${escape(description)} — ${minutes} min</text>`,
    legend,
    ...parts,
    `<text x="${MARGIN.left}" y="${height - 8}" class="label">time (minutes since the trace starts) →</text>`,
    '</svg>',
  ].join('\n');
}
