/**
 * Label sets of real series, captured from a real Prometheus scraping the platform's processes
 * under the standard traffic scenario (`npm run capture-series` runs alerts/exported-labels.test.ts
 * with CAPTURE_SERIES=1, which writes captured-series.json; without it that test fails when the
 * checked-in capture no longer matches what the processes export). The promtool scenarios build
 * their input series from these, so no label name or label combination in them is typed by hand:
 * a scenario only says which captured series it means and where it runs (namespace, pod).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LabelSet = Record<string, string>;
/** Series name (a histogram's `_bucket`/`_count` on their own) → captured label sets, `__name__` left out. */
export type CapturedSeries = Record<string, LabelSet[]>;

export const CAPTURED_SERIES_FILE = join(dirname(fileURLToPath(import.meta.url)), 'captured-series.json');

/**
 * Labels a scrape gives every series (Kubernetes service discovery, or a test's static labels):
 * scenarios set them to place a series in a namespace and pod of their own.
 */
const PLACEMENT = new Set(['namespace', 'pod', 'instance', 'job']);

/**
 * Metrics of exporters that cannot run here (the kubelet's volume stats): their label names are
 * the declared ones (core/metric-labels.ts), checked by the label test against the rules.
 */
const DECLARED_ONLY = new Set(['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes']);

let loaded: CapturedSeries | undefined;

export function capturedSeries(): CapturedSeries {
  loaded ??= JSON.parse(readFileSync(CAPTURED_SERIES_FILE, 'utf8')) as CapturedSeries;
  return loaded;
}

/**
 * The captured series of `metric` that agrees with most of `labels`, with `labels` applied. Where
 * it runs (namespace, pod, instance, job) is the scenario's to say, so the captured placement is
 * dropped; every other label comes from the real series, and every label a scenario sets must
 * exist on it: a scenario cannot invent a label the processes do not export.
 */
export function realLabels(metric: string, labels: LabelSet): LabelSet {
  if (DECLARED_ONLY.has(metric)) return labels;
  const candidates = capturedSeries()[metric];
  if (!candidates?.length) throw new Error(`${metric} was not captured from a real scrape (npm run capture-series)`);
  const score = (set: LabelSet) => Object.entries(labels).filter(([k, v]) => set[k] === v).length;
  const best = candidates.reduce((a, b) => (score(b) > score(a) ? b : a));
  const unknown = Object.keys(labels).filter((k) => !(k in best));
  if (unknown.length) throw new Error(`${metric} has no label ${unknown.join(', ')} in real scrapes: ${JSON.stringify(best)}`);
  const real = Object.fromEntries(Object.entries(best).filter(([k]) => !PLACEMENT.has(k)));
  return { ...real, ...labels };
}
