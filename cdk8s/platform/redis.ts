import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import type { ManagedRedisSpec } from '../../platform-api/v1alpha1/index.js';
import { resourceRequirements } from './app-pod.js';
import { SHARDS_ANNOTATION, childLabels, selectorLabels, unversionedLabels } from './labels.js';
import { MONITORING_API_VERSION } from './monitoring.js';
import { childNames } from './names.js';
import type { PlatformChildrenProps } from './props.js';
import { REDIS_CLUSTER_SCRIPT } from './redis-cluster-script.js';

export const REDIS_IMAGE = 'redis:7.2';
/** oliver006/redis_exporter beside every node; its metric names are those core/metric-names.ts lists. */
export const REDIS_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.67.0';
export const REDIS_EXPORTER_PORT = 9121;

/**
 * A Redis Cluster: a StatefulSet of `shards × (1 + replicasPerShard)` nodes (pod i belongs to shard
 * ⌊i / (1 + replicasPerShard)⌋, and is its primary when i is a multiple of that), a headless Service
 * for the nodes to find each other, a client Service, and a Job that forms the cluster, joins new
 * shards, drains removed ones and rebalances slots. The Job is named after the target layout, so a
 * new layout runs a new Job.
 */
export class RedisCluster extends Construct {
  constructor(scope: Construct, id: string, props: PlatformChildrenProps, managed: ManagedRedisSpec) {
    super(scope, id);
    const names = childNames(props.name);
    const labels = childLabels(props.name, 'redis', props.spec.version);
    const selector = selectorLabels(props.name, 'redis');
    const password: k8s.EnvVar = { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: names.keys, key: 'REDIS_PASSWORD' } } };
    const port = k8s.IntOrString.fromString('redis');

    new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: names.redisScripts, labels },
      data: { 'cluster.sh': REDIS_CLUSTER_SCRIPT },
    });
    new k8s.KubeService(this, 'headless', {
      metadata: { name: names.redisHeadless, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector,
        ports: [
          { name: 'redis', port: 6379 },
          { name: 'bus', port: 16379 },
        ],
      },
    });
    new k8s.KubeService(this, 'client', {
      metadata: { name: names.redis, labels },
      spec: { selector, ports: [{ name: 'redis', port: 6379, targetPort: port }] },
    });
    const shards = props.replicas['redis-shards'];
    new k8s.KubeStatefulSet(this, 'nodes', {
      metadata: { name: names.redis, labels, annotations: { [SHARDS_ANNOTATION]: String(shards) } },
      spec: {
        serviceName: names.redisHeadless,
        replicas: props.redisNodes,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: unversionedLabels(props.name, 'redis') },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 },
            containers: [
              {
                name: 'redis',
                image: REDIS_IMAGE,
                command: ['sh', '-c'],
                args: [
                  // Announcing the pod IP lets a restarted pod (new IP, same node id in nodes.conf)
                  // rejoin: peers learn the new address from its gossip.
                  'exec redis-server --port 6379 --cluster-enabled yes --cluster-config-file /data/nodes.conf ' +
                    '--cluster-announce-ip "$POD_IP" --cluster-node-timeout 5000 --appendonly yes ' +
                    '--requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"',
                ],
                env: [password, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
                ports: [
                  { name: 'redis', containerPort: 6379 },
                  { name: 'bus', containerPort: 16379 },
                ],
                resources: resourceRequirements(managed.resources),
                readinessProbe: {
                  exec: { command: ['sh', '-c', 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'] },
                  periodSeconds: 5,
                },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
              {
                // The node's own figures (memory, commands, role) for the autoscaler and the alerts.
                name: 'redis-exporter',
                image: REDIS_EXPORTER_IMAGE,
                env: [password, { name: 'REDIS_ADDR', value: 'redis://127.0.0.1:6379' }],
                ports: [{ name: 'metrics', containerPort: REDIS_EXPORTER_PORT }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                  limits: { memory: k8s.Quantity.fromString('64Mi') },
                },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
        // A node's data goes with it: when the platform is deleted, and when a shard is removed
        // (its slots were moved off first, and a node re-grown later must start clean rather
        // than rejoin with a stale nodes.conf). A restarted pod keeps its claim. (ADR 0011)
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(managed.storage) } } },
          },
        ],
      },
    });
    new ApiObject(this, 'pod-monitor', {
      apiVersion: MONITORING_API_VERSION,
      kind: 'PodMonitor',
      metadata: { name: names.redis, labels },
      spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '15s' }] },
    });
    new k8s.KubeJob(this, 'cluster', {
      metadata: { name: names.redisClusterJob(shards, managed.replicasPerShard), labels },
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 3600,
        template: {
          metadata: { labels: unversionedLabels(props.name, 'redis-cluster-job') },
          spec: {
            restartPolicy: 'OnFailure',
            securityContext: { runAsNonRoot: true, runAsUser: 999 },
            containers: [
              {
                name: 'cluster',
                image: REDIS_IMAGE,
                command: ['sh', '/scripts/cluster.sh'],
                env: [
                  password,
                  { name: 'SHARDS', value: String(shards) },
                  { name: 'REPLICAS_PER_SHARD', value: String(managed.replicasPerShard) },
                  { name: 'STATEFULSET', value: names.redis },
                  { name: 'SERVICE', value: `${names.redisHeadless}.${props.namespace}.svc` },
                ],
                volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
              },
            ],
            volumes: [{ name: 'scripts', configMap: { name: names.redisScripts } }],
          },
        },
      },
    });
  }
}
