/**
 * The SLA catalog: every target, threshold and reference cost figure the platform is held to,
 * taken from seed `000_…` ("Performance Benchmarks & Optimization"). This is the only place
 * these numbers are written down; the API's metric labels, the operator's CRD defaults, the
 * autoscaler, the alert rules and the dashboards all read them from here.
 */

/** Latency classes an API route belongs to, each with its p95 target (seed: "API Response Times (95th percentile)"). */
export const SLA_CLASSES = {
  auth: { p95Seconds: 0.2, description: 'Authentication (login, refresh, logout)' },
  student_queries: { p95Seconds: 0.3, description: 'Student reads, search and writes' },
  pass_generation: { p95Seconds: 0.5, description: 'Pass generation, QR rendering, verification and applications' },
  uploads: { p95Seconds: 2, description: 'File uploads (per 5 MB)' },
  analytics: { p95Seconds: 1, description: 'Analytics queries' },
  reports: { p95Seconds: 5, description: 'Complex reports' },
} as const;

export type SlaClass = keyof typeof SLA_CLASSES;

/** Routes outside every SLA (health, metrics, docs) carry this label so they never skew an SLA series. */
export const UNCLASSIFIED = 'none';
export type SlaLabel = SlaClass | typeof UNCLASSIFIED;

export const SLA_CLASS_NAMES = Object.keys(SLA_CLASSES) as SlaClass[];

/** Database query targets (seed: "Database Query Performance"). */
export const DB_QUERY_TARGETS = {
  simpleSeconds: 0.05,
  joinSeconds: 0.2,
  analyticalSeconds: 1,
  bulkSeconds: 5,
} as const;

/** Throughput floors (seed: "Throughput Targets"). */
export const THROUGHPUT_TARGETS = {
  concurrentUsers: 10_000,
  sustainedRps: 1_000,
  peakRps: 5_000,
  passVerificationsPerSecond: 100,
  concurrentUploads: 50,
  uploadSizeBytes: 5 * 1024 * 1024,
} as const;

/** Availability targets (seed: "Availability Targets"). */
export const AVAILABILITY_TARGETS = {
  /** Fraction of good requests / uptime: 99.95 %. */
  objective: 0.9995,
  plannedDowntimeHoursPerMonth: 4,
  unplannedDowntimeMinutesPerMonth: 30,
  rtoSeconds: 4 * 3600,
  rpoSeconds: 15 * 60,
} as const;

export type Severity = 'critical' | 'warning' | 'info';

/**
 * Alert thresholds (seed: "Performance Alerts Configuration"), with the team each one goes to.
 * Ratios are fractions (0.05 = 5 %).
 */
export const ALERT_THRESHOLDS = {
  critical: {
    latencyP95Seconds: { value: 5, team: 'security' },
    errorRatio: { value: 0.05, team: 'development' },
    dbConnectionsRatio: { value: 0.9, team: 'database' },
    memoryRatio: { value: 0.9, team: 'infrastructure' },
    diskFreeRatio: { value: 0.1, team: 'operations' },
  },
  warning: {
    latencyP95Seconds: { value: 2, team: 'development' },
    errorRatio: { value: 0.01, team: 'development' },
    dbConnectionsRatio: { value: 0.8, team: 'database' },
    memoryRatio: { value: 0.8, team: 'infrastructure' },
    cpuRatio: { value: 0.85, team: 'operations' },
  },
  degradation: {
    /** Response time increase > 50 %: the seed's auto-scale trigger. */
    latencyIncreaseRatio: { value: 0.5, team: 'platform' },
    /** Throughput decrease > 30 %: investigation alert. */
    throughputDecreaseRatio: { value: 0.3, team: 'development' },
    /** Cache hit rate < 85 %: cache optimisation alert. */
    cacheHitRatioMin: { value: 0.85, team: 'development' },
  },
} as const;

/** Reference cost figures (seed: "Current Infrastructure Costs", "Optimization Opportunities"), USD. */
export const COST_REFERENCE = {
  currency: 'USD',
  monthlyFixedFleet: {
    applicationServers: { count: 4, monthly: 480 },
    databaseServer: { count: 1, monthly: 320 },
    redisCluster: { count: 3, monthly: 180 },
    loadBalancer: { count: 1, monthly: 45 },
    cdn: { count: 1, monthly: 25 },
    monitoring: { count: 1, monthly: 35 },
    total: 1085,
  },
  costPerRequest: 0.0001,
  costPerUserMonthly: 0.12,
  /** "Auto-scaling: -25 % average resource cost". */
  autoscalingSavingRatio: 0.25,
  /** Hours in the month the seed's monthly prices assume (730 = 8760 / 12). */
  hoursPerMonth: 730,
} as const;

/**
 * Histogram bucket boundaries in seconds. Every SLA target and alert threshold is a boundary,
 * so "p95 below target" can be read exactly from bucket counts rather than interpolated.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = buildLatencyBuckets();

function buildLatencyBuckets(): number[] {
  const base = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  const thresholds = [
    ...Object.values(SLA_CLASSES).map((c) => c.p95Seconds),
    ...Object.values(DB_QUERY_TARGETS),
    ALERT_THRESHOLDS.critical.latencyP95Seconds.value,
    ALERT_THRESHOLDS.warning.latencyP95Seconds.value,
  ];
  return [...new Set([...base, ...thresholds])].sort((a, b) => a - b);
}

/** The p95 target for a class, in seconds. */
export function slaTargetSeconds(slaClass: SlaClass): number {
  return SLA_CLASSES[slaClass].p95Seconds;
}
