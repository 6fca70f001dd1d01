/**
 * The `PassPlatform` custom resource as TypeScript types, with the defaults every omitted field
 * takes. The CRD's OpenAPI schema (`./schema.ts`) mirrors these types; the reconcile, the
 * autoscaler and the cost reports read them. SLA and alert defaults come from the SLA catalog.
 */
import { RATE_LIMIT_DEFAULTS } from '../../core/rate-limit-defaults.js';
import { ALERT_THRESHOLDS, COST_REFERENCE, SLA_CLASSES, type SlaClass } from '../../core/sla.js';

export const API_GROUP = 'passplatform.io';
export const API_VERSION = 'v1alpha1';
export const KIND = 'PassPlatform';
export const PLURAL = 'passplatforms';

/** Every component the operator scales and prices; the same names label metrics, decisions and cost lines. */
export const COMPONENTS = ['api', 'worker-uploads', 'worker-reports', 'postgres-replicas', 'redis-shards'] as const;
export type Component = (typeof COMPONENTS)[number];

export const WORKER_QUEUES = ['uploads', 'reports'] as const;
export type WorkerQueue = (typeof WORKER_QUEUES)[number];

export interface Resources {
  /** Kubernetes quantity, e.g. "500m". */
  cpu: string;
  /** Kubernetes quantity, e.g. "512Mi". */
  memory: string;
}

export interface ReplicaRange {
  minReplicas: number;
  maxReplicas: number;
}

/** The API's per-client limits (each pod counts in the shared Redis, so they hold across pods). */
export interface RateLimitSpec {
  requestsPerMinute: number;
  refreshesPerMinute: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
}

export interface ApiSpec extends ReplicaRange {
  resources: Resources;
  rateLimits: RateLimitSpec;
}

export interface WorkerSpec extends ReplicaRange {
  resources: Resources;
  /** Jobs one worker pod runs at once. */
  concurrency: number;
}

export interface ManagedDatabaseSpec {
  /** Read replicas beside the primary: CloudNativePG `instances` = 1 + replicas. */
  readReplicas: ReplicaRange;
  storage: string;
  resources: Resources;
  /** Postgres major version of the CloudNativePG image. */
  postgresVersion: number;
  /** Continuous WAL archiving and scheduled base backups to object storage (the SLA's RPO). */
  backup?: DatabaseBackupSpec;
}

export interface DatabaseBackupSpec {
  /** Object-store URL the WAL and base backups go to, e.g. `s3://backups/campus`. */
  destinationPath: string;
  /** Secret with keys `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` for the object store. */
  credentialsSecretName: string;
  /** S3-compatible endpoint, when not AWS. */
  endpointURL?: string;
  /** How long backups are kept, e.g. `30d`. */
  retentionPolicy: string;
  /** Six-field cron (seconds first) of the base backups. */
  schedule: string;
  /** Longest time a WAL segment may wait before it is archived; bounds the data lost with the primary. */
  archiveTimeoutSeconds: number;
}

export interface ExternalDatabaseSpec {
  /** Secret with key `uri` for the primary. */
  primarySecretName: string;
  /** Secret with key `uris`: comma-separated read replica URIs (optional). */
  replicasSecretName?: string;
}

export interface DatabaseSpec {
  mode: 'managed' | 'external';
  managed?: ManagedDatabaseSpec;
  external?: ExternalDatabaseSpec;
}

export interface ManagedRedisSpec {
  shards: ReplicaRange;
  replicasPerShard: number;
  resources: Resources;
  storage: string;
  /**
   * Commands per second one shard primary serves when its single thread is saturated: what the
   * autoscaler sizes shards by for command load. The CRD defaults it (DEFAULT_REDIS_OPS_PER_SHARD).
   */
  opsPerShard?: number;
}

export interface ExternalRedisSpec {
  /** Secret with key `url` (single node) or `nodes` (comma-separated cluster seeds). */
  secretName: string;
}

export interface RedisSpec {
  mode: 'managed' | 'external';
  managed?: ManagedRedisSpec;
  external?: ExternalRedisSpec;
}

/** p95 latency target per SLA class, in seconds. */
export type SlaSpec = Record<SlaClass, number>;

export interface AlertThresholdSpec {
  criticalLatencyP95Seconds: number;
  warningLatencyP95Seconds: number;
  criticalErrorRatio: number;
  warningErrorRatio: number;
  criticalDbConnectionsRatio: number;
  warningDbConnectionsRatio: number;
  criticalMemoryRatio: number;
  warningMemoryRatio: number;
  warningCpuRatio: number;
  criticalDiskFreeRatio: number;
  latencyIncreaseRatio: number;
  throughputDecreaseRatio: number;
  cacheHitRatioMin: number;
}

export interface AutoscalingSpec {
  enabled: boolean;
  prometheusUrl: string;
  intervalSeconds: number;
  /** How long load must stay low before a component is scaled down. */
  scaleDownStabilizationSeconds: number;
  /** Target utilisation a component is sized for (headroom = 1 - this). */
  targetUtilization: number;
  /** Scale ahead of load seen at the same time of day / week before. */
  predictive: boolean;
}

export interface PriceSpec {
  currency: string;
  /** Pods: price per vCPU-hour and per GiB-hour of requested resources. */
  vcpuHour: number;
  gibHour: number;
  /** Postgres and Redis nodes are priced per instance-hour. */
  postgresInstanceHour: number;
  redisNodeHour: number;
  storageGibMonth: number;
  /** Optional monthly budget; the operator alerts when the month-end projection exceeds it. */
  monthlyBudget?: number;
  /**
   * What the platform shares with others and pays for per month whatever it runs (load balancer,
   * CDN, monitoring): each a line of the report, counted over the hours the platform existed.
   */
  sharedCosts?: SharedCost[];
}

/** A monthly cost outside the scaled components, e.g. `{ name: 'load-balancer', monthly: 45 }`. */
export interface SharedCost {
  name: string;
  monthly: number;
}

/** Where runbooks are published; `<base>/<AlertName>.md` is each alert's runbook. */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/passplatform/passplatform/blob/main/alerts/runbooks';

/** Where alerts send on-call engineers, and how the platform's PrometheusRule is found. */
export interface MonitoringSpec {
  /** Base URL of the runbooks; each alert links `<base>/<AlertName>.md`. */
  runbookBaseUrl?: string;
  /** Extra labels on the PrometheusRule, e.g. the `release` a kube-prometheus `ruleSelector` matches. */
  ruleLabels?: Record<string, string>;
}

/**
 * The S3-compatible bucket uploads and reports go to, shared by every API and worker pod (AWS S3,
 * SeaweedFS, Ceph RGW…). Unset, each pod keeps them on its own emptyDir: one pod only.
 */
export interface ObjectStorageSpec {
  bucket: string;
  /** S3 API endpoint URL when not AWS S3, e.g. `http://seaweedfs-s3.storage.svc:8333`. */
  endpoint?: string;
  /** Region of the bucket; required for AWS S3 (without `endpoint`). */
  region?: string;
  /** Path-style requests (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  /**
   * Secret with keys `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY` (as for database backups). Unset:
   * the pods' own cloud identity (IRSA, workload identity) through the AWS SDK's default chain.
   */
  credentialsSecretName?: string;
}

export interface PassPlatformSpec {
  image: string;
  version: string;
  api: ApiSpec;
  workers: Record<WorkerQueue, WorkerSpec>;
  database: DatabaseSpec;
  redis: RedisSpec;
  sla: SlaSpec;
  alerts: AlertThresholdSpec;
  autoscaling: AutoscalingSpec;
  cost: PriceSpec;
  monitoring?: MonitoringSpec;
  objectStorage?: ObjectStorageSpec;
}

/** `ScalingActive` (as on an HPA): False while the autoscaler cannot read its signals and holds. */
export type ConditionType = 'Ready' | 'Progressing' | 'Degraded' | 'ScalingActive';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** One autoscaling decision, as kept (bounded) in status and emitted as an Event. */
export interface ScalingDecisionRecord {
  component: Component;
  from: number;
  to: number;
  reason: string;
  /** The signal values the decision was based on. */
  signals: Record<string, number>;
  time: string;
}

export interface PassPlatformStatus {
  phase?: 'Pending' | 'Progressing' | 'Ready' | 'Degraded' | 'Deleting';
  observedGeneration?: number;
  conditions?: Condition[];
  replicas?: Partial<Record<Component, number>>;
  /** "Met" when every SLA class is inside its target, else the classes that are not. */
  slaState?: string;
  decisions?: ScalingDecisionRecord[];
}

/**
 * Default prices, derived from the seed's fixed fleet: an application server (4 vCPU, 8 GiB) is
 * $120/month, split so one GiB-hour costs an eighth of a vCPU-hour; the database server is
 * $320/month; each of the 3 Redis nodes $60/month; 730 hours a month.
 */
const HOURS = COST_REFERENCE.hoursPerMonth;
const APP_SERVER_HOUR = COST_REFERENCE.monthlyFixedFleet.applicationServers.monthly / 4 / HOURS;
const VCPU_HOUR = APP_SERVER_HOUR / (4 + 8 / 8);

export const DEFAULT_PRICES: PriceSpec = {
  currency: COST_REFERENCE.currency,
  vcpuHour: VCPU_HOUR,
  gibHour: VCPU_HOUR / 8,
  postgresInstanceHour: COST_REFERENCE.monthlyFixedFleet.databaseServer.monthly / HOURS,
  redisNodeHour: COST_REFERENCE.monthlyFixedFleet.redisCluster.monthly / 3 / HOURS,
  storageGibMonth: 0.1,
  // The seed's fleet pays these beside its servers: $105 a month.
  sharedCosts: [
    { name: 'load-balancer', monthly: COST_REFERENCE.monthlyFixedFleet.loadBalancer.monthly },
    { name: 'cdn', monthly: COST_REFERENCE.monthlyFixedFleet.cdn.monthly },
    { name: 'monitoring', monthly: COST_REFERENCE.monthlyFixedFleet.monitoring.monthly },
  ],
};

export const DEFAULT_SLA: SlaSpec = Object.fromEntries(Object.entries(SLA_CLASSES).map(([name, c]) => [name, c.p95Seconds])) as SlaSpec;

export const DEFAULT_ALERTS: AlertThresholdSpec = {
  criticalLatencyP95Seconds: ALERT_THRESHOLDS.critical.latencyP95Seconds.value,
  warningLatencyP95Seconds: ALERT_THRESHOLDS.warning.latencyP95Seconds.value,
  criticalErrorRatio: ALERT_THRESHOLDS.critical.errorRatio.value,
  warningErrorRatio: ALERT_THRESHOLDS.warning.errorRatio.value,
  criticalDbConnectionsRatio: ALERT_THRESHOLDS.critical.dbConnectionsRatio.value,
  warningDbConnectionsRatio: ALERT_THRESHOLDS.warning.dbConnectionsRatio.value,
  criticalMemoryRatio: ALERT_THRESHOLDS.critical.memoryRatio.value,
  warningMemoryRatio: ALERT_THRESHOLDS.warning.memoryRatio.value,
  warningCpuRatio: ALERT_THRESHOLDS.warning.cpuRatio.value,
  criticalDiskFreeRatio: ALERT_THRESHOLDS.critical.diskFreeRatio.value,
  latencyIncreaseRatio: ALERT_THRESHOLDS.degradation.latencyIncreaseRatio.value,
  throughputDecreaseRatio: ALERT_THRESHOLDS.degradation.throughputDecreaseRatio.value,
  cacheHitRatioMin: ALERT_THRESHOLDS.degradation.cacheHitRatioMin.value,
};

export const DEFAULT_AUTOSCALING: AutoscalingSpec = {
  enabled: true,
  prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090',
  intervalSeconds: 15,
  scaleDownStabilizationSeconds: 300,
  targetUtilization: 0.7,
  predictive: true,
};

/**
 * A change in a component's replica count; the count holds until the next change of the same
 * component. The operator records these durably; the cost reports and the simulator read them.
 */
export interface ReplicaChange {
  component: Component;
  /** Epoch milliseconds. */
  at: number;
  replicas: number;
}

/*
 * Defaults for the workload and data-store parts of the spec. The CRD schema (./schema.ts)
 * publishes them as OpenAPI defaults, so `kubectl get -o yaml` shows what the operator uses.
 */
export const DEFAULT_API: ApiSpec = {
  minReplicas: 2,
  maxReplicas: 20,
  resources: { cpu: '500m', memory: '512Mi' },
  rateLimits: { ...RATE_LIMIT_DEFAULTS },
};

export const DEFAULT_WORKERS: Record<WorkerQueue, WorkerSpec> = {
  uploads: { minReplicas: 1, maxReplicas: 10, concurrency: 5, resources: { cpu: '500m', memory: '512Mi' } },
  reports: { minReplicas: 1, maxReplicas: 5, concurrency: 2, resources: { cpu: '1', memory: '1Gi' } },
};

export const DEFAULT_MANAGED_DATABASE: ManagedDatabaseSpec = {
  readReplicas: { minReplicas: 1, maxReplicas: 3 },
  storage: '20Gi',
  resources: { cpu: '1', memory: '2Gi' },
  postgresVersion: 16,
};

/**
 * A shard's saturated command rate when nothing better has been measured: redis-benchmark on one
 * core without pipelining serves roughly 80,000–100,000 simple commands a second (redis.io, "Redis
 * benchmark"); the low end, since BullMQ's Lua scripts cost more than a GET. Measure yours with
 * `redis-benchmark -q -n 100000` against one shard and set spec.redis.managed.opsPerShard.
 */
export const DEFAULT_REDIS_OPS_PER_SHARD = 80_000;

export const DEFAULT_MANAGED_REDIS: ManagedRedisSpec = {
  shards: { minReplicas: 3, maxReplicas: 6 },
  replicasPerShard: 1,
  resources: { cpu: '250m', memory: '512Mi' },
  storage: '2Gi',
  opsPerShard: DEFAULT_REDIS_OPS_PER_SHARD,
};

/** The spec as the operator reads it once the API server has applied the CRD's defaults. */
export const DEFAULT_SPEC: Omit<PassPlatformSpec, 'image' | 'version'> = {
  api: DEFAULT_API,
  workers: DEFAULT_WORKERS,
  database: { mode: 'managed', managed: DEFAULT_MANAGED_DATABASE },
  redis: { mode: 'managed', managed: DEFAULT_MANAGED_REDIS },
  sla: DEFAULT_SLA,
  alerts: DEFAULT_ALERTS,
  autoscaling: DEFAULT_AUTOSCALING,
  cost: DEFAULT_PRICES,
};

/** The custom resource as it comes from the API server. */
export interface PassPlatform {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: PassPlatformSpec;
  status?: PassPlatformStatus;
}
