import { k8s } from 'cdk8s-plus-33';
import type { Resources } from '../../operator/spec.js';
import { settingsHash } from './config.js';
import { childNames } from './names.js';
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

/** Database and Redis connection settings, from whichever secrets the chosen modes provide. */
function connectionEnv(props: PlatformChildrenProps): k8s.EnvVar[] {
  const names = childNames(props.name);
  const fromSecret = (name: string, secret: string, key: string, optional = false): k8s.EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key, optional } },
  });
  const env: k8s.EnvVar[] = [];
  const { database, redis } = props.spec;
  if (database.mode === 'managed') {
    env.push(
      fromSecret('DATABASE_USER', names.databaseAppSecret, 'username'),
      fromSecret('DATABASE_PASSWORD', names.databaseAppSecret, 'password'),
      fromSecret('DATABASE_URL', names.databaseAppSecret, 'uri'),
      // Kubernetes expands $(VAR) from variables defined earlier in the list.
      { name: 'DATABASE_REPLICA_URLS', value: 'postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@$(DATABASE_REPLICA_HOST):5432/app' },
    );
  } else if (database.external) {
    env.push(fromSecret('DATABASE_URL', database.external.primarySecretName, 'uri'));
    if (database.external.replicasSecretName) env.push(fromSecret('DATABASE_REPLICA_URLS', database.external.replicasSecretName, 'uris', true));
  }
  if (redis.mode === 'managed') env.push(fromSecret('REDIS_PASSWORD', names.keys, 'REDIS_PASSWORD'));
  else if (redis.external) {
    env.push(fromSecret('REDIS_URL', redis.external.secretName, 'url', true), fromSecret('REDIS_CLUSTER_NODES', redis.external.secretName, 'nodes', true));
  }
  return env;
}

export interface AppContainerOptions {
  command: string[];
  resources: Resources;
  ports: k8s.ContainerPort[];
  probes?: Pick<k8s.Container, 'readinessProbe' | 'livenessProbe'>;
  env?: k8s.EnvVar[];
}

/** The pod template of an API or worker Deployment. */
export function appPodTemplate(
  props: PlatformChildrenProps,
  labels: Record<string, string>,
  options: AppContainerOptions,
): k8s.PodTemplateSpec {
  const names = childNames(props.name);
  return {
    metadata: { labels, annotations: { 'passplatform.io/settings-hash': settingsHash(props) } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 60,
      containers: [
        {
          name: 'app',
          image: `${props.spec.image}:${props.spec.version}`,
          command: options.command,
          ports: options.ports,
          envFrom: [{ configMapRef: { name: names.config } }],
          env: [
            ...connectionEnv(props),
            { name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: names.keys, key: 'JWT_SECRET' } } },
            { name: 'PASS_SIGNING_PRIVATE_KEY', valueFrom: { secretKeyRef: { name: names.keys, key: 'PASS_SIGNING_PRIVATE_KEY' } } },
            { name: 'PASS_SIGNING_PUBLIC_KEY', valueFrom: { secretKeyRef: { name: names.keys, key: 'PASS_SIGNING_PUBLIC_KEY' } } },
            ...(options.env ?? []),
          ],
          resources: resourceRequirements(options.resources),
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          ...options.probes,
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };
}
