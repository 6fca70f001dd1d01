import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import { appPodTemplate } from './app-pod.js';
import { METRICS_LABEL, childLabels, selectorLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

export const API_PORT = 3000;

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
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: appPodTemplate(props, labels, {
          command: ['npm', 'run', 'api'],
          resources: props.spec.api.resources,
          ports: [{ name: 'http', containerPort: API_PORT }],
          env: [{ name: 'PORT', value: String(API_PORT) }],
          probes: {
            readinessProbe: { httpGet: { path: '/ready', port: http }, periodSeconds: 5, failureThreshold: 3 },
            livenessProbe: { httpGet: { path: '/health', port: http }, periodSeconds: 10, failureThreshold: 6 },
          },
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
