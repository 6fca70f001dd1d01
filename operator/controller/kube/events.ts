/** Records Kubernetes Events about a PassPlatform, as `kubectl describe` shows them. */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PlatformEvent } from '../../reconcile/reconcile.js';
import type { PassPlatform } from '../../../platform-api/v1alpha1/index.js';

export const EVENT_SOURCE = 'pass-operator';

export class EventRecorder {
  constructor(
    private readonly core: CoreV1Api,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(platform: PassPlatform, event: PlatformEvent): Promise<void> {
    const time = this.now();
    await this.core.createNamespacedEvent({
      namespace: platform.metadata.namespace,
      body: {
        metadata: { generateName: `${platform.metadata.name}.`, namespace: platform.metadata.namespace },
        involvedObject: {
          apiVersion: platform.apiVersion,
          kind: platform.kind,
          name: platform.metadata.name,
          namespace: platform.metadata.namespace,
          uid: platform.metadata.uid,
          resourceVersion: platform.metadata.resourceVersion,
        },
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: { component: EVENT_SOURCE },
        reportingComponent: EVENT_SOURCE,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      },
    });
  }
}
