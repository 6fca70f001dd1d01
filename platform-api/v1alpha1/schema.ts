/**
 * The OpenAPI v3 schema of the PassPlatform CRD. It mirrors `./types.ts` field by field;
 * every default is read from there (and so from the SLA catalog), and every cross-field rule is a
 * CEL validation with a message a platform team can act on.
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
  DEFAULT_RUNBOOK_BASE_URL,
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
    minReplicas: integer(`Fewest ${what} the autoscaler may run.`, {
      minimum: floor,
      default: defaults.minReplicas,
    }),
    maxReplicas: integer(`Most ${what} the autoscaler may run.`, {
      minimum: Math.max(floor, 1),
      default: defaults.maxReplicas,
    }),
  };
}

const RANGE_RULE = {
  rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
  message: 'minReplicas must be less than or equal to maxReplicas',
};

function resources(defaults: Resources): StructuralSchema {
  return object(
    {
      cpu: quantity('CPU request per pod (a Kubernetes quantity, e.g. "500m").', defaults.cpu),
      memory: quantity('Memory request per pod (a Kubernetes quantity, e.g. "512Mi").', defaults.memory),
    },
    { default: {} },
  );
}

function modeRules(field: 'database' | 'redis'): StructuralSchema['x-kubernetes-validations'] {
  return [
    {
      rule: "!has(self.mode) || self.mode != 'external' || has(self.external)",
      message: `${field}.external is required when ${field}.mode is external`,
    },
  ];
}

const apiSchema = object(
  {
    ...replicaRange('API pods', DEFAULT_API, 1),
    resources: resources(DEFAULT_API.resources),
  },
  { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
);

const workersSchema = object(
  Object.fromEntries(
    WORKER_QUEUES.map((queue) => {
      const defaults = DEFAULT_WORKERS[queue];
      return [
        queue,
        object(
          {
            ...replicaRange(`${queue} worker pods`, defaults),
            concurrency: integer('Jobs one worker pod runs at once.', {
              minimum: 1,
              default: defaults.concurrency,
            }),
            resources: resources(defaults.resources),
          },
          { default: {}, 'x-kubernetes-validations': [RANGE_RULE] },
        ),
      ];
    }),
  ),
  { default: {} },
);

const databaseSchema = object(
  {
    mode: string('managed: a CloudNativePG Cluster owned by the platform; external: connection secrets you provide.', {
      enum: MODES,
      default: 'managed',
    }),
    managed: object(
      {
        readReplicas: object(replicaRange('Postgres read replicas', DEFAULT_MANAGED_DATABASE.readReplicas), {
          default: {},
          'x-kubernetes-validations': [RANGE_RULE],
        }),
        storage: quantity('Volume size of each Postgres instance.', DEFAULT_MANAGED_DATABASE.storage),
        resources: resources(DEFAULT_MANAGED_DATABASE.resources),
        postgresVersion: integer('Postgres major version.', {
          minimum: 13,
          maximum: 17,
          default: DEFAULT_MANAGED_DATABASE.postgresVersion,
        }),
        backup: object(
          {
            destinationPath: string('Object-store URL for WAL and base backups, e.g. s3://backups/campus.', {
              minLength: 1,
              pattern: '^(s3|gs|https?)://.+',
            }),
            credentialsSecretName: string('Secret with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY for the object store.', { minLength: 1 }),
            endpointURL: string('S3-compatible endpoint when not AWS.', {
              pattern: '^https?://.+',
            }),
            retentionPolicy: string('How long backups are kept, e.g. 30d.', {
              pattern: '^[1-9][0-9]*[dwm]$',
              default: '30d',
            }),
            schedule: string('Six-field cron (seconds first) of the base backups.', { minLength: 11, default: '0 0 2 * * *' }),
            archiveTimeoutSeconds: integer(
              'Longest wait before a WAL segment is archived; bounds data loss with the primary (the SLA RPO is 15 minutes).',
              {
                minimum: 60,
                maximum: AVAILABILITY_TARGETS.rpoSeconds,
                default: 300,
              },
            ),
          },
          { required: ['destinationPath', 'credentialsSecretName'] },
        ),
      },
      { default: {} },
    ),
    external: object(
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
  {
    mode: string('managed: a Redis Cluster owned by the platform; external: a connection secret you provide.', {
      enum: MODES,
      default: 'managed',
    }),
    managed: object(
      {
        shards: object(replicaRange('Redis Cluster primaries (shards)', DEFAULT_MANAGED_REDIS.shards, 3), {
          default: {},
          'x-kubernetes-validations': [RANGE_RULE],
        }),
        replicasPerShard: integer('Replicas of each shard primary.', {
          minimum: 0,
          maximum: 5,
          default: DEFAULT_MANAGED_REDIS.replicasPerShard,
        }),
        resources: resources(DEFAULT_MANAGED_REDIS.resources),
        storage: quantity('Volume size of each Redis node.', DEFAULT_MANAGED_REDIS.storage),
      },
      { default: {} },
    ),
    external: object(
      {
        secretName: string('Secret with key `url` (single node) or `nodes` (cluster seeds).', { minLength: 1 }),
      },
      { required: ['secretName'] },
    ),
  },
  { default: {}, 'x-kubernetes-validations': modeRules('redis') },
);

const slaSchema = object(
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

const alertsSchema = object(
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
    'x-kubernetes-validations': [
      {
        rule: '!has(self.warningLatencyP95Seconds) || !has(self.criticalLatencyP95Seconds) || self.warningLatencyP95Seconds <= self.criticalLatencyP95Seconds',
        message: 'warningLatencyP95Seconds must not exceed criticalLatencyP95Seconds',
      },
      {
        rule: '!has(self.warningErrorRatio) || !has(self.criticalErrorRatio) || self.warningErrorRatio <= self.criticalErrorRatio',
        message: 'warningErrorRatio must not exceed criticalErrorRatio',
      },
    ],
  },
);

const autoscalingSchema = object(
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
  },
  { default: {} },
);

const monitoringSchema = object(
  {
    runbookBaseUrl: string('Base URL of the runbooks; each alert links <base>/<AlertName>.md.', {
      pattern: '^https?://',
      default: DEFAULT_RUNBOOK_BASE_URL,
    }),
    ruleLabels: {
      type: 'object',
      description: "Extra labels on the platform's PrometheusRule, e.g. the release label a kube-prometheus ruleSelector matches.",
      additionalProperties: { type: 'string' },
    },
  },
  { default: {} },
);

export const specSchema: StructuralSchema = object(
  {
    image: string('Container image of the API and workers, without tag.', {
      minLength: 1,
    }),
    version: string('Image tag (the platform version).', {
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
  },
  { required: ['image', 'version'] },
);

const conditionSchema = object(
  {
    type: string('Ready, Progressing or Degraded.'),
    status: string('True, False or Unknown.', {
      enum: ['True', 'False', 'Unknown'],
    }),
    reason: string('CamelCase reason.'),
    message: string('Human-readable detail.'),
    lastTransitionTime: string('When status last changed.', {
      format: 'date-time',
    }),
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  },
  { required: ['type', 'status'] },
);

export const statusSchema: StructuralSchema = object({
  phase: string('Summary of the conditions.', {
    enum: ['Pending', 'Progressing', 'Ready', 'Degraded', 'Deleting'],
  }),
  observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
  conditions: {
    type: 'array',
    items: conditionSchema,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  replicas: object(Object.fromEntries(COMPONENTS.map((c) => [c, integer(`Current ${c} replicas.`, { minimum: 0 })]))),
  slaState: string('"Met", or the SLA classes currently over target.'),
  decisions: {
    type: 'array',
    maxItems: 50,
    items: object(
      {
        component: string('Scaled component.', { enum: [...COMPONENTS] }),
        from: integer('Replicas before.'),
        to: integer('Replicas after.'),
        reason: string('Why.'),
        signals: { type: 'object', additionalProperties: { type: 'number' } },
        time: string('When.', { format: 'date-time' }),
      },
      { required: ['component', 'from', 'to', 'reason', 'time'] },
    ),
  },
});

/** The schema under `versions[].schema.openAPIV3Schema`. */
export const passPlatformOpenApiSchema: StructuralSchema = object(
  {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  { required: ['spec'] },
);
