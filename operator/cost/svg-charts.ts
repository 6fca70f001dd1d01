/**
 * Small server-side SVG charts for the HTML cost report: no script, no CDN, readable offline and
 * in a mail attachment. Each chart is a self-contained <svg> string.
 */

export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

const WIDTH = 960;
const HEIGHT = 300;
const MARGIN = { top: 16, right: 16, bottom: 40, left: 72 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Areas stacked bottom-up over time (x: epoch ms, one value per series per x). */
export function stackedAreaChart(
  title: string,
  times: readonly number[],
  series: readonly Series[],
  format: (v: number) => string,
): string {
  const totals = times.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const scale = yScale(Math.max(0, ...totals));
  const x = xScale(times.length);
  const base = times.map(() => 0);
  const areas = series.map((s) => {
    const lower = [...base];
    s.values.forEach((v, i) => (base[i] = (base[i] ?? 0) + v));
    const top = base.map((v, i) => `${x(i)},${scale.y(v)}`);
    const bottom = lower.map((v, i) => `${x(i)},${scale.y(v)}`).reverse();
    return `<polygon points="${[...top, ...bottom].join(' ')}" fill="${s.color}" />`;
  });
  return frame(title, scale, timeAxis(times), areas.join(''), series, format);
}

/** One line per series over time. */
export function lineChart(title: string, times: readonly number[], series: readonly Series[], format: (v: number) => string): string {
  const scale = yScale(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = xScale(times.length);
  const lines = series.map(
    (s) =>
      `<polyline points="${s.values.map((v, i) => `${x(i)},${scale.y(v)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2.5" />`,
  );
  return frame(title, scale, timeAxis(times), lines.join(''), series, format);
}

/** Bars for each category, one per series, side by side. */
export function groupedBarChart(
  title: string,
  categories: readonly string[],
  series: readonly Series[],
  format: (v: number) => string,
): string {
  const scale = yScale(Math.max(0, ...series.flatMap((s) => s.values)));
  const group = PLOT_W / Math.max(1, categories.length);
  const barWidth = (group * 0.7) / Math.max(1, series.length);
  const bars = categories.flatMap((_, c) =>
    series.map((s, k) => {
      const value = s.values[c] ?? 0;
      const left = MARGIN.left + c * group + group * 0.15 + k * barWidth;
      const top = scale.y(value);
      return `<rect x="${round(left)}" y="${top}" width="${round(barWidth)}" height="${round(MARGIN.top + PLOT_H - top)}" fill="${s.color}"><title>${escapeXml(`${s.name}: ${format(value)}`)}</title></rect>`;
    }),
  );
  const labels = categories.map(
    (name, c) =>
      `<text x="${round(MARGIN.left + (c + 0.5) * group)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${escapeXml(name)}</text>`,
  );
  return frame(title, scale, labels.join(''), bars.join(''), series, format);
}

interface YScale {
  max: number;
  ticks: number[];
  y(value: number): number;
}

function yScale(maximum: number): YScale {
  const step = niceStep(maximum > 0 ? maximum / 4 : 1);
  const max = Math.max(step, Math.ceil(maximum / step) * step);
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  return { max, ticks, y: (value) => round(MARGIN.top + PLOT_H - (value / max) * PLOT_H) };
}

function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const scaled = rough / magnitude;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude;
}

function xScale(count: number): (index: number) => number {
  return (index) => round(MARGIN.left + (count <= 1 ? 0 : (index / (count - 1)) * PLOT_W));
}

/**
 * Time labels (UTC): over more than two days one per day at its first hour (every n-th day when
 * there are many), so no date is labelled twice; over shorter spans about eight hours.
 */
function timeAxis(times: readonly number[]): string {
  if (times.length === 0) return '';
  const x = xScale(times.length);
  const spanDays = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 86_400_000;
  const day = (i: number) => new Date(times[i] ?? 0).toISOString().slice(5, 10);
  let points: { index: number; text: string }[];
  if (spanDays > 2) {
    const firsts = times.map((_, i) => i).filter((i) => i === 0 || day(i) !== day(i - 1));
    const every = Math.max(1, Math.ceil(firsts.length / 10));
    points = firsts.filter((_, n) => n % every === 0).map((index) => ({ index, text: day(index) }));
  } else {
    const every = Math.max(1, Math.ceil(times.length / 8));
    points = times.flatMap((time, index) => (index % every === 0 ? [{ index, text: new Date(time).toISOString().slice(11, 16) }] : []));
  }
  return points
    .map(({ index, text }) => `<text x="${x(index)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${text}</text>`)
    .join('');
}

function frame(
  title: string,
  scale: YScale,
  xLabels: string,
  plot: string,
  series: readonly Series[],
  format: (v: number) => string,
): string {
  const grid = scale.ticks
    .map((tick) => {
      const y = scale.y(tick);
      return `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e7eb" /><text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${escapeXml(format(tick))}</text>`;
    })
    .join('');
  // Seven lines at 140 px each ran past the right edge: the entries share the plot's width instead.
  const step = Math.min(140, PLOT_W / Math.max(1, series.length));
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${MARGIN.left + i * step}" y="${HEIGHT - 14}" width="12" height="12" fill="${s.color}" /><text x="${MARGIN.left + i * step + 18}" y="${HEIGHT - 4}">${escapeXml(s.name)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12" fill="#374151">`,
    `<title>${escapeXml(title)}</title>`,
    grid,
    plot,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="#6b7280" />`,
    xLabels,
    legend,
    '</svg>',
  ].join('');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
