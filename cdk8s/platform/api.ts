import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import { imageCommand } from '../image-commands.js';
import { appPodTemplate, appProbes } from './app-pod.js';
import { ACCESS_LOG_SPILL_MOUNT_PATH, envValue } from './env.js';
import { METRICS_LABEL, childLabels, selectorLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';
import type { RateLimitSpec } from '../../platform-api/v1alpha1/index.js';

export const API_PORT = 3000;

/** The spec's per-client limits as the variables the API reads (core/config.ts). */
function rateLimitEnv(limits: RateLimitSpec) {
  return [
    envValue('RATE_LIMIT_PER_MINUTE', String(limits.requestsPerMinute)),
    envValue('AUTH_RATE_LIMIT_PER_MINUTE', String(limits.refreshesPerMinute)),
    envValue('LOGIN_FAILURES_PER_ACCOUNT', String(limits.loginFailuresPerAccount)),
    envValue('LOGIN_FAILURES_PER_ADDRESS', String(limits.loginFailuresPerAddress)),
  ];
}

/** The HTTP API: Deployment, its Service (also scraped for metrics) and a PodDisruptionBudget. */
export class ApiWorkload extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps) {
    super(scope, id);
    const name = childNames(props.name).api;
    const labels = childLabels(props.name, 'api', props.spec.version);
    const selector = selectorLabels(props.name, 'api');
    const http = k8s.IntOrString.fromString('http');
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, labels },
      spec: {
        replicas: props.replicas.api,
        selector: { matchLabels: selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        template: appPodTemplate(props, labels, {
          command: imageCommand('api'),
          resources: props.spec.api.resources,
          ports: [{ name: 'http', containerPort: API_PORT }],
          // Clients reach the pods through an ingress or load balancer that sets X-Forwarded-For.
          env: [
            envValue('PORT', String(API_PORT)),
            envValue('TRUST_PROXY', 'true'),
            envValue('ACCESS_LOG_SPILL_DIR', ACCESS_LOG_SPILL_MOUNT_PATH),
            ...rateLimitEnv(props.spec.api.rateLimits),
          ],
          // The image's tree is read-only; the journal of answered verifications needs a directory.
          scratchVolumes: [{ name: 'access-log-spill', mountPath: ACCESS_LOG_SPILL_MOUNT_PATH }],
          // /health: the process serves; /ready: Postgres and Redis answer and it is not draining.
          probes: appProbes('http', '/health', '/ready'),
        }),
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name, labels: { ...labels, [METRICS_LABEL]: 'true' } },
      spec: { selector, ports: [{ name: 'http', port: 80, targetPort: http }] },
    });
    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: { name, labels },
      spec: { selector: { matchLabels: selector }, maxUnavailable: k8s.IntOrString.fromNumber(1) },
    });
  }
}
