/**
 * Informers (list + watch + cache) that keep going: client-node's informer relists by itself after
 * 410 Gone but stops for good on any other error, so this restarts it with backoff.
 *
 * A 410 (the history the watch resumes from is compacted: "too old resource version") is silent in
 * client-node: it forgets the resource version and relists. `onExpired` makes it visible, so the
 * operator can say that it relisted and why.
 *
 * `synced()` resolves only once a list has filled the cache: client-node emits `connect` before it
 * lists, so `connect` cannot tell (a reconcile run then would see no children and rebuild them).
 * After a failure it waits again, until the watch is open again: either resumed from where it was
 * (the cache, listed before, is as current as the stream that follows) or expired and relisted.
 * Waiting for a list alone would wait forever whenever the watch resumes without 410 (another
 * kube-apiserver whose watch cache still holds the resource version, or one without a watch cache).
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { collectionPath, type WatchedKind } from '../../../cdk8s/child-kinds.js';

export interface InformerHandlers<T extends KubernetesObject> {
  onChange: (object: T, verb: 'add' | 'update' | 'delete') => void;
  onError?: (error: unknown, restartInMs: number) => void;
  /** The watch got 410 Gone (its resource version is compacted away); a relist follows. */
  onExpired?: () => void;
}

const GONE = 410;

/**
 * client-node's Watch, telling `onOpen` when a watch request was answered 200 (the stream is open),
 * and `onExpired` about a 410 in either form kube-apiserver sends it: an ERROR event carrying a
 * Status with code 410 on an open watch (what its watch cache and its etcd watch answer), or the
 * HTTP status of the watch request itself.
 */
class ReportingWatch extends Watch {
  constructor(
    kubeConfig: KubeConfig,
    private readonly report: { onOpen: () => void; onExpired: () => void },
  ) {
    super(kubeConfig);
  }

  override async watch(...[path, query, callback, done]: Parameters<Watch['watch']>): ReturnType<Watch['watch']> {
    let failed = false;
    const controller = await super.watch(
      path,
      query,
      (phase, object: { code?: number } | undefined, event) => {
        if (phase === 'ERROR' && object?.code === GONE) this.report.onExpired();
        callback(phase, object, event);
      },
      (error: { statusCode?: number; code?: number } | null) => {
        // A request that fails is done (with its error) before super.watch returns.
        if (error) failed = true;
        if (error && (error.statusCode === GONE || error.code === GONE)) this.report.onExpired();
        done(error);
      },
    );
    if (!failed) this.report.onOpen();
    return controller;
  }
}

export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private connected!: Promise<void>;
  private markConnected!: () => void;
  private listed = true;
  private readonly retry: (error: unknown) => void;

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
          // A real API server leaves apiVersion and kind out of a list's items (only watch events
          // carry them); the cache must hold whole objects, or a child listed after a restart
          // matches no desired child by kind and is taken for a stray.
          for (const item of result.items) Object.assign(item, { apiVersion: kind.apiVersion, kind: kind.kind });
          // client-node fills its cache synchronously right after this promise settles; the next
          // macrotask sees the cache filled.
          setImmediate(() => {
            this.failures = 0;
            this.markConnected();
          });
          return result;
        });
    const watch = new ReportingWatch(kubeConfig, {
      onOpen: () => {
        this.failures = 0;
        this.markConnected();
      },
      onExpired: () => handlers.onExpired?.(),
    });
    this.informer = new ListWatch<T>(collectionPath(kind, options.namespace), watch, list, false, options.labelSelector);
    this.informer.on('add', (o) => handlers.onChange(o, 'add'));
    this.informer.on('update', (o) => handlers.onChange(o, 'update'));
    this.informer.on('delete', (o) => handlers.onChange(o, 'delete'));
    this.retry = (error: unknown) => {
      if (this.stopped) return;
      const delay = Math.min(options.maxBackoffMs ?? 30_000, 200 * 2 ** this.failures++);
      handlers.onError?.(error, delay);
      this.resetConnected();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.listAndWatch(), delay);
    };
    this.informer.on('error', this.retry);
  }

  /**
   * Starts listing and watching. A first list that fails (API down, a kind not served yet, a 403)
   * is retried with backoff like a later failure, so `synced()` resolves once it succeeds instead
   * of never.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listAndWatch();
  }

  private async listAndWatch() {
    await this.informer.start().catch((error: unknown) => this.retry(error));
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

  /**
   * A new "listed" promise after a failure — unless the current one is still pending: whoever
   * waits on it (a reconcile that began before the failure) must be woken by the next list, not
   * left waiting on a promise nobody resolves.
   */
  private resetConnected() {
    if (!this.listed) return;
    this.listed = false;
    this.connected = new Promise<void>((resolve) => (this.markConnected = resolve)).then(() => {
      this.listed = true;
    });
  }
}
