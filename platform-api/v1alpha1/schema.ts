/**
 * The OpenAPI v3 schema of the PassPlatform CRD. It mirrors `./types.ts` field by field (the
 * round-trip test holds the two together); every default is read from there (and so from the SLA
 * catalog); every field has a description (`kubectl explain` reads them, a test requires them);
 * every cross-field rule is a CEL validation with a message a platform team can act on, and
 * changes that cannot be carried out on a running platform are refused by transition rules.
 */
import { AVAILABILITY_TARGETS, SLA_CLASSES, SLA_CLASS_NAMES } from '../../core/sla.js';
import {
  COMPONENTS,
  DEFAULT_ALERTS,
  DEFAULT_API,
  DEFAULT_AUTOSCALING,
  DEFAULT_MANAGED_DATABASE,
  DEFAULT_MANAGED_REDIS,
  DEFAULT_PRICES,
  DEFAULT_WORKERS,
  WORKER_QUEUES,
  type AlertThresholdSpec,
  type ReplicaRange,
  type Resources,
} from './types.js';
import { boolean, integer, number, object, quantity, ratio, string, type StructuralSchema } from './structural-schema.js';

const MODES = ['managed', 'external'];

function replicaRange(what: string, defaults: ReplicaRange, floor = 0): Record<string, StructuralSchema> {
  return {
    minReplicas: integer(`Fewest ${what} the autoscaler may run; it never scales below this.`, {
      minimum: floor,
      default: defaults.minReplicas,
    }),
    maxReplicas: integer(`Most ${what} the autoscaler may run; it never scales above this.`, {
      minimum: Math.max(floor, 1),
      default: defaults.maxReplicas,
    }),
  };
}

const RANGE_RULE = {
  rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
  message: 'minReplicas must be less than or equal to maxReplicas',
};

function resources(what: string, defaults: Resources): StructuralSchema {
  return object(
    `Resources requested for each ${what} (the cost report prices these requests).`,
    {
      cpu: quantity('CPU request per pod (a Kubernetes quantity, e.g. "500m").', defaults.cpu),
      memory: quantity('Memory request per pod (a Kubernetes quantity, e.g. "512Mi"); also its limit.', defaults.memory),
    },
    { default: {} },
  );
}

/** The data of a managed store lives in it: switching to external (or back) would abandon it. */
function modeRules(field: 'database' | 'redis'): StructuralSchema['x-kubernetes-validations'] {
  return [
    {
      rule: "!has(self.mode) || self.mode != 'external' || has(self.external)",
      message: `${field}.external is required when ${field}.mode is external`,
    },
    {
      rule: '!has(self.mode) || !has(oldSelf.mode) || self.mode == oldSelf.mode',
      message: `${field}.mode cannot be changed on a running platform: the data of the current ${field} would be left behind; create a new PassPlatform and migrate`,
    },
  ];
}

const apiSchema = object(
  'The HTTP API: a Deployment behind a Service, autoscaled between minReplicas and maxReplicas.',
  {
    ...replicaRange('API pods', DEFAULT_API, 1),
    resources: resources('API pod', DEFAULT_API.resources),
    rateLimits: object(
      'Per-client limits of the API, counted in Redis across all its pods. Raise them for a load test from few addresses (every virtual user of one load generator is one client).',
      {
        requestsPerMinute: integer('Requests one client address may make per minute before 429.', {
          minimum: 1,
          default: DEFAULT_API.rateLimits.requestsPerMinute,
        }),
        refreshesPerMinute: integer('Token refreshes one client address may make per minute before 429.', {
          minimum: 1,
          default: DEFAULT_API.rateLimits.refreshesPerMinute,
        }),
        loginFailuresPerAccount: integer('Consecutive failed logins of one account from one address before that pair waits 15 minutes.', {
          minimum: 1,
          default: DEFAULT_API.rateLimits.loginFailuresPerAccount,
        }),
        loginFailuresPerAddress: integer('Failed logins from one address in an hour, any accounts, before that address waits an hour.', {
          minimum: 1,
          default: DEFAULT_API.rateLimits.loginFailuresPerAddress,
        }),
      },
      { default: {} },
    ),
  },
  { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
);

const workersSchema = object(
  'The BullMQ workers: one Deployment per queue, autoscaled on queue depth and age.',
  Object.fromEntries(
    WORKER_QUEUES.map((queue) => {
      const defaults = DEFAULT_WORKERS[queue];
      return [
        queue,
        object(
          `Workers of the ${queue} queue.`,
          {
            ...replicaRange(`${queue} worker pods`, defaults),
            concurrency: integer('Jobs one worker pod runs at once.', {
              minimum: 1,
              default: defaults.concurrency,
            }),
            resources: resources(`${queue} worker pod`, defaults.resources),
          },
          { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
        ),
      ];
    }),
  ),
  { default: {} },
);

const RPO_SECONDS = AVAILABILITY_TARGETS.rpoSeconds;

const backupSchema = object(
  'Continuous WAL archiving and scheduled base backups to object storage (CloudNativePG barman-cloud); they bound the data lost with the primary.',
  {
    destinationPath: string('Object-store URL for WAL and base backups, e.g. s3://backups/campus.', {
      minLength: 1,
      pattern: '^(s3|gs|https?)://.+',
    }),
    credentialsSecretName: string('Secret with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY for the object store.', { minLength: 1 }),
    endpointURL: string('S3-compatible endpoint when not AWS.', {
      pattern: '^https?://.+',
    }),
    retentionPolicy: string('How long backups are kept, e.g. 30d (days, w weeks, m months).', {
      pattern: '^[1-9][0-9]*[dwm]$',
      default: '30d',
    }),
    schedule: string('Six-field cron (seconds first) of the base backups.', { minLength: 11, default: '0 0 2 * * *' }),
    archiveTimeoutSeconds: integer(
      `Longest wait before a WAL segment is archived; bounds data loss with the primary, so at most the SLA's RPO (${RPO_SECONDS} s).`,
      { minimum: 60, default: 300 },
    ),
  },
  {
    required: ['destinationPath', 'credentialsSecretName'],
    'x-kubernetes-validations': [
      {
        rule: `!has(self.archiveTimeoutSeconds) || self.archiveTimeoutSeconds <= ${RPO_SECONDS}`,
        message: `archiveTimeoutSeconds must not exceed the SLA's recovery point objective (RPO) of ${RPO_SECONDS} seconds: a WAL segment not yet archived is lost with the primary`,
      },
    ],
  },
);

const databaseSchema = object(
  'PostgreSQL: a primary and read replicas, managed through CloudNativePG or provided by you.',
  {
    mode: string('managed: a CloudNativePG Cluster owned by the platform; external: connection secrets you provide. Fixed once created.', {
      enum: MODES,
      default: 'managed',
    }),
    managed: object(
      'The CloudNativePG Cluster (instances = 1 + read replicas) and its PgBouncer Poolers, used when mode is managed.',
      {
        readReplicas: object(
          'Read replicas beside the primary; the autoscaler sets CloudNativePG instances to 1 + replicas.',
          replicaRange('Postgres read replicas', DEFAULT_MANAGED_DATABASE.readReplicas),
          { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
        ),
        storage: quantity('Volume size of each Postgres instance.', DEFAULT_MANAGED_DATABASE.storage),
        resources: resources('Postgres instance', DEFAULT_MANAGED_DATABASE.resources),
        postgresVersion: integer('Postgres major version; it can be raised (a major upgrade), never lowered.', {
          minimum: 13,
          maximum: 17,
          default: DEFAULT_MANAGED_DATABASE.postgresVersion,
        }),
        backup: backupSchema,
      },
      {
        default: {},
        'x-kubernetes-validations': [
          {
            rule: '!has(self.postgresVersion) || !has(oldSelf.postgresVersion) || self.postgresVersion >= oldSelf.postgresVersion',
            message: 'postgresVersion cannot be lowered: Postgres data files cannot be downgraded to an older major version',
          },
        ],
      },
    ),
    external: object(
      'Connection secrets of a Postgres you run, used when mode is external.',
      {
        primarySecretName: string('Secret with key `uri` for the primary.', {
          minLength: 1,
        }),
        replicasSecretName: string('Secret with key `uris`: comma-separated read replica URIs.', { minLength: 1 }),
      },
      { required: ['primarySecretName'] },
    ),
  },
  { default: {}, 'x-kubernetes-validations': modeRules('database') },
);

const redisSchema = object(
  'Redis: the cache, rate limits and job queues, as a Redis Cluster managed by the platform or one you provide.',
  {
    mode: string('managed: a Redis Cluster owned by the platform; external: a connection secret you provide. Fixed once created.', {
      enum: MODES,
      default: 'managed',
    }),
    managed: object(
      'The Redis Cluster: a StatefulSet of shards × (1 + replicasPerShard) nodes, each with a redis_exporter beside it.',
      {
        shards: object(
          'Redis Cluster primaries (shards); the autoscaler adds and drains shards live, moving their slots.',
          replicaRange('Redis Cluster primaries (shards)', DEFAULT_MANAGED_REDIS.shards, 3),
          { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
        ),
        replicasPerShard: integer(
          'Replicas of each shard primary. Fixed once created: node i belongs to shard i / (1 + replicasPerShard).',
          {
            minimum: 0,
            maximum: 5,
            default: DEFAULT_MANAGED_REDIS.replicasPerShard,
          },
        ),
        resources: resources('Redis node', DEFAULT_MANAGED_REDIS.resources),
        storage: quantity(
          'Volume size of each Redis node. Fixed once created (a StatefulSet volume claim template).',
          DEFAULT_MANAGED_REDIS.storage,
        ),
        opsPerShard: integer(
          'Commands per second one shard primary serves with its thread saturated; the autoscaler sizes shards by it. The default is the low end of redis-benchmark on one core without pipelining (BullMQ scripts cost more than a GET): measure yours with redis-benchmark against one shard.',
          { minimum: 1000, default: DEFAULT_MANAGED_REDIS.opsPerShard },
        ),
      },
      {
        default: {},
        'x-kubernetes-validations': [
          {
            rule: '!has(self.replicasPerShard) || !has(oldSelf.replicasPerShard) || self.replicasPerShard == oldSelf.replicasPerShard',
            message:
              'replicasPerShard cannot be changed on a running Redis Cluster: it fixes which node serves which shard; change shards instead, or create a new PassPlatform',
          },
          {
            rule: '!has(self.storage) || !has(oldSelf.storage) || self.storage == oldSelf.storage',
            message:
              'storage cannot be changed on a running Redis Cluster: the volume size of a StatefulSet is fixed when its volumes are claimed',
          },
        ],
      },
    ),
    external: object(
      'The connection secret of a Redis you run, used when mode is external.',
      {
        secretName: string('Secret with key `url` (single node) or `nodes` (cluster seeds).', { minLength: 1 }),
      },
      { required: ['secretName'] },
    ),
  },
  { default: {}, 'x-kubernetes-validations': modeRules('redis') },
);

const slaSchema = object(
  'p95 latency targets per SLA class, in seconds; the autoscaler keeps each class inside its target and the alerts page on misses.',
  Object.fromEntries(
    SLA_CLASS_NAMES.map((name) => [
      name,
      number(`p95 latency target in seconds: ${SLA_CLASSES[name].description}.`, {
        minimum: 0,
        exclusiveMinimum: true,
        default: SLA_CLASSES[name].p95Seconds,
      }),
    ]),
  ),
  { default: {} },
);

const ALERT_DESCRIPTIONS: Record<keyof AlertThresholdSpec, string> = {
  criticalLatencyP95Seconds: 'Critical alert: p95 latency above this many seconds.',
  warningLatencyP95Seconds: 'Warning alert: p95 latency above this many seconds.',
  criticalErrorRatio: 'Critical alert: error ratio above this fraction.',
  warningErrorRatio: 'Warning alert: error ratio above this fraction.',
  criticalDbConnectionsRatio: 'Critical alert: database connections in use above this fraction of the maximum.',
  warningDbConnectionsRatio: 'Warning alert: database connections in use above this fraction of the maximum.',
  criticalMemoryRatio: 'Critical alert: memory use above this fraction of the limit.',
  warningMemoryRatio: 'Warning alert: memory use above this fraction of the limit.',
  warningCpuRatio: 'Warning alert: CPU use above this fraction of the request.',
  criticalDiskFreeRatio: 'Critical alert: free disk below this fraction.',
  latencyIncreaseRatio: 'Degradation: latency increase over the baseline that triggers a scale-up.',
  throughputDecreaseRatio: 'Degradation: throughput decrease over the baseline that opens an investigation alert.',
  cacheHitRatioMin: 'Degradation: cache hit ratio below this fraction.',
};

/** A warning must fire no later than its critical alert. */
const WARNING_BEFORE_CRITICAL: [keyof AlertThresholdSpec, keyof AlertThresholdSpec][] = [
  ['warningLatencyP95Seconds', 'criticalLatencyP95Seconds'],
  ['warningErrorRatio', 'criticalErrorRatio'],
  ['warningDbConnectionsRatio', 'criticalDbConnectionsRatio'],
  ['warningMemoryRatio', 'criticalMemoryRatio'],
];

const alertsSchema = object(
  "Alert thresholds of the platform's PrometheusRule; defaults are the SLA catalog's.",
  Object.fromEntries(
    (Object.keys(DEFAULT_ALERTS) as (keyof AlertThresholdSpec)[]).map((key) => [
      key,
      key.endsWith('Seconds')
        ? number(ALERT_DESCRIPTIONS[key], {
            minimum: 0,
            default: DEFAULT_ALERTS[key],
          })
        : ratio(ALERT_DESCRIPTIONS[key], DEFAULT_ALERTS[key]),
    ]),
  ),
  {
    default: {},
    'x-kubernetes-validations': WARNING_BEFORE_CRITICAL.map(([warning, critical]) => ({
      rule: `!has(self.${warning}) || !has(self.${critical}) || self.${warning} <= self.${critical}`,
      message: `${warning} must not exceed ${critical}`,
    })),
  },
);

const autoscalingSchema = object(
  'The autoscaler: every intervalSeconds it reads Prometheus and sets the replicas of every component inside its range.',
  {
    enabled: boolean('Let the operator set replicas from Prometheus signals (else replicas stay at minReplicas).', {
      default: DEFAULT_AUTOSCALING.enabled,
    }),
    prometheusUrl: string('Prometheus HTTP API base URL the autoscaler queries.', {
      pattern: '^https?://',
      default: DEFAULT_AUTOSCALING.prometheusUrl,
    }),
    intervalSeconds: integer('Seconds between autoscaling evaluations.', {
      minimum: 5,
      maximum: 3600,
      default: DEFAULT_AUTOSCALING.intervalSeconds,
    }),
    scaleDownStabilizationSeconds: integer('How long load must stay low before a component is scaled down.', {
      minimum: 0,
      maximum: 86400,
      default: DEFAULT_AUTOSCALING.scaleDownStabilizationSeconds,
    }),
    targetUtilization: number('Utilisation each component is sized for (headroom = 1 - this).', {
      minimum: 0.1,
      maximum: 1,
      default: DEFAULT_AUTOSCALING.targetUtilization,
    }),
    predictive: boolean('Scale ahead of load seen at the same time of day and week before.', {
      default: DEFAULT_AUTOSCALING.predictive,
    }),
  },
  { default: {} },
);

const price = (description: string, value: number): StructuralSchema => number(description, { minimum: 0, default: value });

const costSchema = object(
  "Prices the operator's monthly cost report uses; defaults are derived from the seed's fixed fleet.",
  {
    currency: string('ISO 4217 currency code of every price.', {
      pattern: '^[A-Z]{3}$',
      default: DEFAULT_PRICES.currency,
    }),
    vcpuHour: price('Price of one requested vCPU for one hour.', DEFAULT_PRICES.vcpuHour),
    gibHour: price('Price of one requested GiB of memory for one hour.', DEFAULT_PRICES.gibHour),
    postgresInstanceHour: price('Price of one Postgres instance for one hour.', DEFAULT_PRICES.postgresInstanceHour),
    redisNodeHour: price('Price of one Redis node for one hour.', DEFAULT_PRICES.redisNodeHour),
    storageGibMonth: price('Price of one GiB of volume for one month.', DEFAULT_PRICES.storageGibMonth),
    monthlyBudget: number('Monthly budget; the operator alerts when the month-end projection exceeds it.', { minimum: 0 }),
    sharedCosts: {
      type: 'array',
      description:
        'Monthly costs the platform pays whatever it runs (load balancer, CDN, monitoring…), each a line of the cost report counted over the hours the platform existed. Defaults to the seed: load balancer $45, CDN $25, monitoring $35.',
      maxItems: 20,
      default: DEFAULT_PRICES.sharedCosts,
      items: object(
        'One shared monthly cost.',
        {
          name: string('Line name in the report, e.g. load-balancer.', { pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }),
          monthly: number('Cost per month (730 hours), in the currency above.', { minimum: 0 }),
        },
        { required: ['name', 'monthly'] },
      ),
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
  },
  { default: {} },
);

const monitoringSchema = object("Where alerts send on-call engineers, and how Prometheus finds the platform's PrometheusRule.", {
  runbookBaseUrl: string("Base URL of the runbooks; each alert links <base>/<AlertName>.md. Unset: the operator's default.", {
    pattern: '^https?://',
  }),
  ruleLabels: {
    type: 'object',
    description: "Extra labels on the platform's PrometheusRule, e.g. the release label a kube-prometheus ruleSelector matches.",
    additionalProperties: { type: 'string' },
  },
});

const objectStorageSchema = object(
  'The S3-compatible bucket (AWS S3, SeaweedFS, Ceph RGW…) uploads and reports go to, shared by every API and worker pod. Unset: each pod keeps them on its own emptyDir, which works with one pod only.',
  {
    bucket: string('Bucket name; the credentials must be allowed to read, write, list and delete in it.', {
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    }),
    endpoint: string('S3 API endpoint URL when not AWS S3, e.g. http://seaweedfs-s3.storage.svc:8333.', {
      pattern: '^https?://.+',
    }),
    region: string('Region of the bucket; required for AWS S3 (no endpoint). With an endpoint: us-east-1 unless set.', { minLength: 1 }),
    forcePathStyle: boolean('Path-style requests (endpoint/bucket/key), which most self-hosted servers (SeaweedFS, Ceph RGW) need.'),
    credentialsSecretName: string(
      "Secret with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY (as for database backups), given to the pods as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Unset: the pods' own cloud identity (IRSA, workload identity).",
      { minLength: 1 },
    ),
  },
  {
    required: ['bucket'],
    'x-kubernetes-validations': [
      {
        rule: 'has(self.endpoint) || has(self.region)',
        message: 'objectStorage needs a region when it has no endpoint: AWS S3 is reached by region',
      },
    ],
  },
);

export const specSchema: StructuralSchema = object(
  'The desired platform: the image, each component with its replica range and resources, the data stores, the SLA targets, alert thresholds, autoscaling and prices.',
  {
    image: string('Container image of the API and workers, without tag.', {
      minLength: 1,
    }),
    version: string('Image tag (the platform version); changing it rolls the API and worker pods.', {
      minLength: 1,
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
    }),
    api: apiSchema,
    workers: workersSchema,
    database: databaseSchema,
    redis: redisSchema,
    sla: slaSchema,
    alerts: alertsSchema,
    autoscaling: autoscalingSchema,
    cost: costSchema,
    monitoring: monitoringSchema,
    objectStorage: objectStorageSchema,
  },
  { required: ['image', 'version'] },
);

const generation = (what: string): StructuralSchema => ({ type: 'integer', format: 'int64', minimum: 0, description: what });

const conditionSchema = object(
  'One condition of the platform, as on every Kubernetes object.',
  {
    type: string('Ready, Progressing, Degraded or ScalingActive.'),
    status: string('True, False or Unknown.', {
      enum: ['True', 'False', 'Unknown'],
    }),
    reason: string('CamelCase reason.'),
    message: string('Human-readable detail.'),
    lastTransitionTime: string('When status last changed.', {
      format: 'date-time',
    }),
    observedGeneration: generation('The metadata.generation this condition was computed from.'),
  },
  { required: ['type', 'status'] },
);

export const statusSchema: StructuralSchema = object('What the operator observed and decided; written by the operator only.', {
  phase: string('Summary of the conditions.', {
    enum: ['Pending', 'Progressing', 'Ready', 'Degraded', 'Deleting'],
  }),
  observedGeneration: generation('The metadata.generation the operator last reconciled.'),
  conditions: {
    type: 'array',
    description: 'Ready, Progressing, Degraded and ScalingActive, one of each at most.',
    items: conditionSchema,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  replicas: object(
    'Replicas each component runs now (API pods, worker pods per queue, Postgres read replicas, Redis shards).',
    Object.fromEntries(COMPONENTS.map((c) => [c, integer(`Current ${c} replicas.`, { minimum: 0 })])),
  ),
  slaState: string('"Met", or the SLA classes currently over target.'),
  decisions: {
    type: 'array',
    description: "The autoscaler's latest scaling decisions with their reasons, newest last.",
    maxItems: 50,
    items: object(
      'One scaling decision.',
      {
        component: string('Scaled component.', { enum: [...COMPONENTS] }),
        from: integer('Replicas before.'),
        to: integer('Replicas after.'),
        reason: string('Why the autoscaler decided so.'),
        signals: {
          type: 'object',
          description: 'The signal values (from Prometheus) the decision was based on.',
          additionalProperties: { type: 'number' },
        },
        time: string('When.', { format: 'date-time' }),
      },
      { required: ['component', 'from', 'to', 'reason', 'time'] },
    ),
  },
});

/** The schema under `versions[].schema.openAPIV3Schema`. */
export const passPlatformOpenApiSchema: StructuralSchema = object(
  'A PassPlatform: the Student Pass Management platform (API, workers, Postgres, Redis, monitoring) run and autoscaled by the PassPlatform operator.',
  {
    apiVersion: string(
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
    ),
    kind: string('Kind is a string value representing the REST resource this object represents. In CamelCase.'),
    // kube-apiserver forbids anything but the type here and publishes ObjectMeta's own documentation.
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  { required: ['spec'] },
);
