/**
 * Objects by type, namespace and name, one global resourceVersion counter, and a bounded log of
 * changes that watches replay from. A watch from a resourceVersion older than the log gets
 * 410 Gone, as after etcd compaction.
 */
import { ApiError } from './api-error.js';

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    creationTimestamp: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; name: string; kind: string; apiVersion: string }[];
    generateName?: string;
  };
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  resourceVersion: number;
  typeId: string;
  type: WatchEventType;
  object: KObject;
}

export interface Watcher {
  typeId: string;
  namespace?: string;
  matches: (object: KObject) => boolean;
  send: (event: ChangeEvent) => void;
}

export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, KObject>();
  private log: ChangeEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  /** Last configuration each field manager applied to each object (server-side apply). */
  readonly applied = new Map<string, Map<string, Record<string, unknown>>>();

  constructor(private readonly historyLimit = 2000) {}

  static key(typeId: string, namespace: string | undefined, name: string) {
    return `${typeId}|${namespace ?? ''}|${name}`;
  }

  get currentRevision() {
    return this.revision;
  }

  get(typeId: string, namespace: string | undefined, name: string): KObject | undefined {
    const object = this.objects.get(ObjectStore.key(typeId, namespace, name));
    return object && structuredClone(object);
  }

  list(typeId: string, namespace?: string): KObject[] {
    const prefix = `${typeId}|`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace))
      .map(([, o]) => structuredClone(o));
  }

  /** Every object of every type (for garbage collection by owner UID). */
  all(): { typeId: string; object: KObject }[] {
    return [...this.objects.entries()].map(([k, o]) => ({ typeId: k.slice(0, k.indexOf('|')), object: structuredClone(o) }));
  }

  existsUid(uid: string): boolean {
    for (const o of this.objects.values()) if (o.metadata.uid === uid) return true;
    return false;
  }

  /** Stores `object` with a new resourceVersion and tells the watchers. */
  write(typeId: string, object: KObject, type: 'ADDED' | 'MODIFIED'): KObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    this.objects.set(ObjectStore.key(typeId, object.metadata.namespace, object.metadata.name), structuredClone(object));
    this.record({ resourceVersion: this.revision, typeId, type, object: structuredClone(object) });
    return object;
  }

  remove(typeId: string, object: KObject): KObject {
    const key = ObjectStore.key(typeId, object.metadata.namespace, object.metadata.name);
    this.objects.delete(key);
    this.applied.delete(key);
    this.revision += 1;
    const gone = { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(this.revision) } };
    this.record({ resourceVersion: this.revision, typeId, type: 'DELETED', object: gone });
    return gone;
  }

  private record(event: ChangeEvent) {
    this.log.push(event);
    if (this.log.length > this.historyLimit) this.log.splice(0, this.log.length - this.historyLimit);
    for (const w of this.watchers) {
      if (
        w.typeId === event.typeId &&
        (w.namespace === undefined || w.namespace === event.object.metadata.namespace) &&
        w.matches(event.object)
      ) {
        w.send(event);
      }
    }
  }

  /**
   * Starts a watch: replays changes after `fromRevision` (or the current objects as ADDED when
   * none is given), then streams live changes until the returned function is called.
   */
  watch(watcher: Watcher, fromRevision: number | undefined): () => void {
    if (fromRevision === undefined) {
      for (const object of this.list(watcher.typeId, watcher.namespace).filter(watcher.matches)) {
        watcher.send({ resourceVersion: Number(object.metadata.resourceVersion), typeId: watcher.typeId, type: 'ADDED', object });
      }
    } else {
      const oldest = this.log[0]?.resourceVersion ?? this.revision + 1;
      if (fromRevision < oldest - 1 && fromRevision < this.revision) {
        throw ApiError.gone(`too old resource version: ${fromRevision} (${oldest - 1})`);
      }
      for (const event of this.log) {
        if (
          event.resourceVersion > fromRevision &&
          event.typeId === watcher.typeId &&
          (watcher.namespace === undefined || watcher.namespace === event.object.metadata.namespace) &&
          watcher.matches(event.object)
        ) {
          watcher.send(event);
        }
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Forgets the change log, as etcd compaction does: older watches must relist. */
  compact() {
    this.log = [];
  }
}
