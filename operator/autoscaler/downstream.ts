/**
 * How a worker queue's job duration depends on the read replicas' load, learned from the signals.
 * A job that waits on replica queries takes longer as the replicas get busy: under processor
 * sharing (a database's cores shared by its backends) a query's time grows as 1 / (1 − ρ), ρ the
 * replicas' CPU utilisation. So each run adds the point (x = 1 / (1 − ρ), mean job duration) to an
 * exponentially weighted least-squares line per queue. A queue whose jobs do not touch the
 * replicas shows no slope (or no correlation) and constrains nothing; one that does gives the
 * highest utilisation at which its jobs still fit their SLA, and the replicas are sized under it.
 * Nothing here is specific to a queue: the line is what the cluster showed.
 */
export interface WeightedFit {
  /** Total weight, and the weighted sums of x, y, x², xy, y². */
  w: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
  syy: number;
}

export interface Line {
  intercept: number;
  slope: number;
  /** Pearson correlation of the weighted points. */
  correlation: number;
  /** The slope's t-statistic, the total weight taken as the number of points: how sure the slope is not zero. */
  slopeT: number;
  /** Weighted standard deviation of x: how much of the curve the points cover. */
  spreadX: number;
}

export const EMPTY_FIT: WeightedFit = { w: 0, sx: 0, sy: 0, sxx: 0, sxy: 0, syy: 0 };

/** Adds a point after discounting the old ones by `keep` (0 < keep ≤ 1). */
export function addPoint(fit: WeightedFit | undefined, x: number, y: number, keep: number): WeightedFit {
  const f = fit ?? EMPTY_FIT;
  return {
    w: f.w * keep + 1,
    sx: f.sx * keep + x,
    sy: f.sy * keep + y,
    sxx: f.sxx * keep + x * x,
    sxy: f.sxy * keep + x * y,
    syy: f.syy * keep + y * y,
  };
}

/** The least-squares line through the points; undefined with too little weight or no spread in x or y. */
export function fitLine(fit: WeightedFit | undefined, minWeight: number): Line | undefined {
  if (!fit || fit.w < minWeight) return undefined;
  const meanX = fit.sx / fit.w;
  const meanY = fit.sy / fit.w;
  const varX = fit.sxx / fit.w - meanX * meanX;
  const varY = fit.syy / fit.w - meanY * meanY;
  const cov = fit.sxy / fit.w - meanX * meanY;
  if (!(varX > 1e-12) || !(varY > 1e-12)) return undefined;
  const slope = cov / varX;
  const correlation = cov / Math.sqrt(varX * varY);
  const slopeT = correlation * Math.sqrt(Math.max(0, fit.w - 2) / Math.max(1e-12, 1 - correlation * correlation));
  return { intercept: meanY - slope * meanX, slope, correlation, slopeT, spreadX: Math.sqrt(varX) };
}

/**
 * The highest replica utilisation at which a mean job duration stays at or under `maxMeanSeconds`
 * according to `line` (x = 1 / (1 − ρ)); undefined when the line shows no dependence worth
 * acting on (slope ≤ 0, its t-statistic under `minSlopeT`, or x spread under `minSpreadX`). A
 * latency read through histogram buckets jitters from run to run, so the test is whether the slope
 * is surely positive over many runs, not how well one line explains each reading.
 * When even idle replicas (x = 1) would be too slow, `floor`: more replicas cannot help beyond it.
 * `aim` (default the SLA's own point) is the knob's choice of point on the curve.
 */
export function utilisationCeiling(
  line: Line | undefined,
  maxMeanSeconds: number,
  options: { minSlopeT: number; minSpreadX: number; floor: number; aim?: CurveAim },
): number | undefined {
  if (!line || line.slope <= 0 || line.slopeT < options.minSlopeT || line.spreadX < options.minSpreadX) return undefined;
  const maxX = (maxMeanSeconds - line.intercept) / line.slope;
  if (maxX <= 1) return options.floor;
  const { queueScale, loadScale } = options.aim ?? SLA_POINT;
  // The point aimed at: the queueing part (x − 1) the SLA allows scaled, and that utilisation scaled.
  const aimX = 1 + queueScale * (maxX - 1);
  return Math.max(options.floor, loadScale * (1 - 1 / aimX));
}

/**
 * Which point of a learned curve a component is sized for, relative to the SLA's point (where the
 * line reaches the SLA's mark): its queueing part x − 1 scaled by `queueScale`, then the utilisation
 * there by `loadScale`. The knob sets one of them (sizing.ts knobAim); SLA_POINT sets neither.
 */
export interface CurveAim {
  queueScale: number;
  loadScale: number;
}

const SLA_POINT: CurveAim = { queueScale: 1, loadScale: 1 };

/**
 * How far the spec's one cost knob (`targetUtilization`) moves a learned curve's aim, as a factor on
 * its queueing part. On a line p95 = a + b · x with x = 1 / (1 − ρ), the part capacity buys is
 * b · (x − 1), and x − 1 = ρ / (1 − ρ) is the M/M/1 queue-length factor: how many requests wait per
 * server at utilisation ρ. A component sized on CPU alone at utilisation u lets that factor reach
 * u / (1 − u); so a curve-sized component at knob u allows its curve the queueing part it allows at
 * the reference knob times q(u) / q(reference). At the reference nothing changes; above it the policy
 * spends SLA margin for dollars (at 0.9 against 0.7: 3.9 × the queue), below it keeps headroom (at
 * 0.5: 0.43 ×) — the same trade the knob makes on a component without a curve, so one knob spans
 * cheap to safe everywhere instead of the curve fixing the size whatever the knob says.
 * One factor for all components, whatever their price, is the cost-weighted optimum's answer: n
 * replicas at price p holding a / (1 − ρ) waiting requests at weight w cost least at
 * ρ / (1 − ρ) = √(p / w), so changing w (what the knob says) scales every component's queue factor
 * by the same ratio (docs/adr/0006-autoscaler-decisions.md).
 */
export function queueScale(targetUtilization: number, referenceUtilization: number): number {
  const queueFactor = (u: number) => u / (1 - Math.min(u, 0.999));
  return queueFactor(targetUtilization) / queueFactor(referenceUtilization);
}
