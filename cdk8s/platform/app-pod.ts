import { k8s } from 'cdk8s-plus-33';
import type { Resources } from '../../platform-api/v1alpha1/index.js';
import { settingsHash } from './config.js';
import { imageCommand } from '../image-commands.js';
import { APP_POOL_SIZE } from './connection-limits.js';
import { envFromSecret, envValue, type AppEnvVar } from './env.js';
import { childNames } from './names.js';
import { objectStorageCredentialsEnv, storageVolume } from './object-storage.js';
import type { PlatformChildrenProps } from './props.js';

/** Hardened container defaults shared by the API and worker pods. */
const CONTAINER_SECURITY: k8s.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

export function resourceRequirements(resources: Resources): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(resources.cpu), memory: k8s.Quantity.fromString(resources.memory) },
    limits: { memory: k8s.Quantity.fromString(resources.memory) },
  };
}

/** Database and Redis credentials, from whichever Secrets the chosen modes provide. */
function connectionEnv(props: PlatformChildrenProps): AppEnvVar[] {
  const names = childNames(props.name);
  const env: AppEnvVar[] = [];
  const { database, redis } = props.spec;
  if (database.mode === 'managed') {
    // Through the PgBouncer Poolers (transaction mode), never to Postgres directly: the connection
    // budget (cdk8s/platform/connection-budget.ts) holds only for connections that go through
    // them. The URLs carry no credentials: the processes add CloudNativePG's `-app` user to them.
    const secret = names.databaseAppSecret;
    env.push(
      envValue('DATABASE_URL', `postgresql://${names.databasePooler('rw')}:5432/app`),
      envFromSecret('DATABASE_USER', secret, 'username'),
      envFromSecret('DATABASE_PASSWORD', secret, 'password'),
      envValue('DATABASE_POOL_MAX', String(APP_POOL_SIZE)),
    );
  } else if (database.external) {
    env.push(envFromSecret('DATABASE_URL', database.external.primarySecretName, 'uri'));
    if (database.external.replicasSecretName)
      env.push(envFromSecret('DATABASE_REPLICA_URLS', database.external.replicasSecretName, 'uris', true));
  }
  if (redis.mode === 'managed') env.push(envFromSecret('REDIS_PASSWORD', names.keys, 'REDIS_PASSWORD'));
  else if (redis.external) {
    const secret = redis.external.secretName;
    env.push(
      envFromSecret('REDIS_URL', secret, 'url', true),
      envFromSecret('REDIS_CLUSTER_NODES', secret, 'nodes', true),
      envFromSecret('REDIS_PASSWORD', secret, 'password', true),
    );
  }
  return env;
}

/**
 * The migrate init container's environment: the app's, but straight to the primary when the
 * database is managed. Its advisory lock is held by a session (core/migrate.ts), and PgBouncer in
 * transaction mode hands a server connection to other clients between statements, so through the
 * Pooler the lock would neither hold the others off nor be released when the migration ends.
 */
function migrateEnv(props: PlatformChildrenProps, env: AppEnvVar[]): AppEnvVar[] {
  if (props.spec.database.mode !== 'managed') return env;
  const direct = envValue('DATABASE_URL', `postgresql://${childNames(props.name).databaseRw}:5432/app`);
  return env.map((variable) => (variable.name === 'DATABASE_URL' ? direct : variable));
}

export interface AppContainerOptions {
  command: string[];
  resources: Resources;
  ports: k8s.ContainerPort[];
  probes: Pick<k8s.Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'>;
  env?: AppEnvVar[];
  /** Writable directories of this process only, each an emptyDir mounted at its path. */
  scratchVolumes?: { name: string; mountPath: string }[];
}

/**
 * The probes of a process that serves `livePath` once it has started and `readyPath` while it can
 * do its work: startup gives a slow start (migrations waited for, pools opened) two minutes before
 * liveness may restart it; readiness takes a pod out of rotation without restarting it.
 */
export function appProbes(port: string, livePath: string, readyPath: string): AppContainerOptions['probes'] {
  const named = k8s.IntOrString.fromString(port);
  return {
    startupProbe: { httpGet: { path: livePath, port: named }, periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: livePath, port: named }, periodSeconds: 10, failureThreshold: 6 },
    readinessProbe: { httpGet: { path: readyPath, port: named }, periodSeconds: 5, failureThreshold: 3 },
  };
}

/** The pod template of an API or worker Deployment. */
export function appPodTemplate(
  props: PlatformChildrenProps,
  labels: Record<string, string>,
  options: AppContainerOptions,
): k8s.PodTemplateSpec {
  const names = childNames(props.name);
  const image = `${props.spec.image}:${props.spec.version}`;
  const envFrom = [{ configMapRef: { name: names.config } }];
  const env = [
    ...connectionEnv(props),
    envFromSecret('JWT_SECRET', names.keys, 'JWT_SECRET'),
    // The public half stays in the Secret for gates and other deployments' PASS_VERIFY_KEYS.
    envFromSecret('PASS_SIGNING_KEY', names.keys, 'PASS_SIGNING_PRIVATE_KEY'),
    // /metrics answers only scrapes that carry it; the ServiceMonitor gives Prometheus the same key.
    envFromSecret('METRICS_TOKEN', names.keys, 'METRICS_TOKEN'),
    // The CPU alert divides by the request (pods have no CPU limit): core/process-metrics.ts.
    cpuRequestEnv(),
  ];
  const tmp = [{ name: 'tmp', mountPath: '/tmp' }];
  // The root filesystem is read-only: without a bucket (spec.objectStorage), uploads and reports
  // go to a volume of the pod's own, which only works with one pod (README "Object storage").
  const scratch = [...storageVolume(props.spec), ...(options.scratchVolumes ?? [])];
  return {
    metadata: { labels, annotations: { 'passplatform.io/settings-hash': settingsHash(props) } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 60,
      // A new version's schema is in place before its process starts. Every pod of a rollout runs
      // this; the advisory lock queues them, and all but the first find nothing to do. It holds
      // two connections for a few seconds, outside the Poolers' budget (connection-budget.ts).
      initContainers: [
        {
          name: 'migrate',
          image,
          command: imageCommand('migrate'),
          envFrom,
          env: migrateEnv(props, env),
          resources: resourceRequirements(options.resources),
          securityContext: CONTAINER_SECURITY,
          volumeMounts: tmp,
        },
      ],
      containers: [
        {
          name: 'app',
          image,
          command: options.command,
          ports: options.ports,
          envFrom,
          // The bucket's credentials go to the app container only: migrations never touch objects.
          env: [...env, ...objectStorageCredentialsEnv(props.spec), ...(options.env ?? [])],
          resources: resourceRequirements(options.resources),
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [...tmp, ...scratch],
          ...options.probes,
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }, ...scratch.map(({ name }) => ({ name, emptyDir: {} }))],
    },
  };
}

/** The container's own CPU request, in millicores, through the downward API. */
function cpuRequestEnv(): AppEnvVar {
  return {
    name: 'CPU_REQUEST_MILLICORES',
    valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: k8s.Quantity.fromString('1m') } },
  };
}
