import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import { WORKER_QUEUES, type Component, type WorkerQueue } from '../../platform-api/v1alpha1/index.js';
import { imageCommand } from '../image-commands.js';
import { appPodTemplate, appProbes } from './app-pod.js';
import { envValue } from './env.js';
import { METRICS_LABEL, childLabels, selectorLabels } from './labels.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';

export const WORKER_METRICS_PORT = 9464;

export function workerComponent(queue: WorkerQueue): Component {
  return `worker-${queue}`;
}

/** One Deployment per queue, and a headless Service through which Prometheus scrapes them all. */
export class Workers extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps) {
    super(scope, id);
    const names = childNames(props.name);
    for (const queue of WORKER_QUEUES) {
      const component = workerComponent(queue);
      const labels = { ...childLabels(props.name, component, props.spec.version), 'passplatform.io/role': 'worker' };
      new k8s.KubeDeployment(this, queue, {
        metadata: { name: names.worker(queue), labels },
        spec: {
          replicas: props.replicas[component],
          selector: { matchLabels: selectorLabels(props.name, component) },
          template: appPodTemplate(props, labels, {
            command: imageCommand('workers'),
            resources: props.spec.workers[queue].resources,
            ports: [{ name: 'metrics', containerPort: WORKER_METRICS_PORT }],
            // /health: the process serves; /ready: its queues' Redis connection is up and it is not draining.
            probes: appProbes('metrics', '/health', '/ready'),
            env: [
              envValue('WORKER_QUEUES', queue),
              envValue('WORKER_METRICS_PORT', String(WORKER_METRICS_PORT)),
              // Prometheus and the kubelet reach it on the pod's address; /metrics wants METRICS_TOKEN.
              envValue('WORKER_METRICS_HOST', '0.0.0.0'),
            ],
          }),
        },
      });
    }
    new k8s.KubeService(this, 'metrics', {
      metadata: {
        name: names.workersMetrics,
        labels: { ...childLabels(props.name, 'workers', props.spec.version), [METRICS_LABEL]: 'true' },
      },
      spec: {
        clusterIp: 'None',
        selector: { 'app.kubernetes.io/instance': props.name, 'passplatform.io/role': 'worker' },
        ports: [{ name: 'metrics', port: WORKER_METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }],
      },
    });
  }
}
