/**
 * Informers (list + watch + cache) that keep going: client-node's informer relists by itself after
 * 410 Gone but stops for good on any other error, so this restarts it with backoff.
 *
 * `synced()` resolves only once a list has filled the cache: client-node emits `connect` before it
 * lists, so `connect` cannot tell (a reconcile run then would see no children and rebuild them).
 */
import { makeInformer, type KubeConfig, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { collectionPath, type WatchedKind } from '../../../cdk8s/child-kinds.js';

export interface InformerHandlers<T extends KubernetesObject> {
  onChange: (object: T, verb: 'add' | 'update' | 'delete') => void;
  onError?: (error: unknown, restartInMs: number) => void;
}

export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private connected!: Promise<void>;
  private markConnected!: () => void;

  constructor(
    kubeConfig: KubeConfig,
    objects: KubernetesObjectApi,
    readonly kind: WatchedKind,
    handlers: InformerHandlers<T>,
    options: { namespace?: string; labelSelector?: string; maxBackoffMs?: number } = {},
  ) {
    this.resetConnected();
    const list = () =>
      objects
        .list<T>(kind.apiVersion, kind.kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector)
        .then((result) => {
          // client-node fills its cache synchronously right after this promise settles; the next
          // macrotask sees the cache filled.
          setImmediate(() => {
            this.failures = 0;
            this.markConnected();
          });
          return result;
        });
    this.informer = makeInformer<T>(kubeConfig, collectionPath(kind, options.namespace), list, options.labelSelector);
    this.informer.on('add', (o) => handlers.onChange(o, 'add'));
    this.informer.on('update', (o) => handlers.onChange(o, 'update'));
    this.informer.on('delete', (o) => handlers.onChange(o, 'delete'));
    this.informer.on('error', (error) => {
      if (this.stopped) return;
      const delay = Math.min(options.maxBackoffMs ?? 30_000, 200 * 2 ** this.failures++);
      handlers.onError?.(error, delay);
      this.resetConnected();
      this.timer = setTimeout(() => void this.listAndWatch().catch(() => undefined), delay);
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.listAndWatch();
  }

  private async listAndWatch() {
    await this.informer.start();
  }

  /** Resolves once the informer has listed (its cache reflects the server). */
  synced(): Promise<void> {
    return this.connected;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.informer.stop();
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private resetConnected() {
    this.connected = new Promise((resolve) => (this.markConnected = resolve));
  }
}
