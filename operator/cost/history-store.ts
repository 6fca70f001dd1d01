/**
 * The durable replica and price history of one platform. Every write is a compare-and-swap on the
 * stored version (a ConfigMap's resourceVersion), retried from a fresh read on conflict, so two
 * operator replicas during a leader change cannot overwrite each other's records. A call returns
 * only once its records are stored: nothing acknowledged is lost when the operator crashes.
 * Each write also compacts whole past hours and trims past the retention, keeping the size bounded.
 */
import type { Component, PriceSpec, ReplicaChange } from '../../platform-api/v1alpha1/index.js';
import { appendChanges, appendPrices, compact, encodeHistory, historyStart, trimBefore, type HistoryDocument } from './history-document.js';
import { HOUR_MS } from './timeline.js';

export interface StoredHistory {
  doc: HistoryDocument;
  /** Opaque version of what was read; undefined when nothing is stored yet. */
  version: string | undefined;
}

/** Where the document lives. `save` must fail with HistoryConflictError when `version` is stale. */
export interface HistoryPersistence {
  load(): Promise<StoredHistory>;
  save(doc: HistoryDocument, version: string | undefined): Promise<string>;
}

export class HistoryConflictError extends Error {
  constructor(message = 'the stored history changed since it was read') {
    super(message);
    this.name = 'HistoryConflictError';
  }
}

export interface HistoryStoreOptions {
  /** How long history is kept (default 400 days: this month and last year's same month). */
  retentionMs?: number;
  /** Encoded size the document is kept under (default 900 kB; a ConfigMap holds at most 1 MiB). */
  maxBytes?: number;
  maxAttempts?: number;
  clock?: () => number;
}

const DAY_MS = 24 * HOUR_MS;

export class ReplicaHistoryStore {
  private readonly retentionMs: number;
  private readonly maxBytes: number;
  private readonly maxAttempts: number;
  private readonly clock: () => number;

  constructor(
    private readonly persistence: HistoryPersistence,
    options: HistoryStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? 400 * DAY_MS;
    this.maxBytes = options.maxBytes ?? 900_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.clock = options.clock ?? Date.now;
  }

  async load(): Promise<HistoryDocument> {
    return (await this.persistence.load()).doc;
  }

  /** Stores replica changes (the autoscaler's, or a simulator run's). */
  async record(changes: readonly ReplicaChange[]): Promise<HistoryDocument> {
    return this.update((doc) => appendChanges(doc, changes));
  }

  /**
   * Stores what is running now and the prices now in the spec; a no-op when both are what the
   * history already says. Called on every reconcile, it also repairs any change a crash lost
   * between scaling and recording it, and makes price changes take effect from when they are seen.
   */
  async recordObserved(replicas: Partial<Record<Component, number>>, prices: PriceSpec): Promise<HistoryDocument> {
    const now = this.clock();
    const changes = Object.entries(replicas).map(([component, count]) => ({ component: component as Component, at: now, replicas: count }));
    return this.update((doc) => appendPrices(appendChanges(doc, changes), prices, now));
  }

  private async update(mutate: (doc: HistoryDocument) => HistoryDocument): Promise<HistoryDocument> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.persistence.load();
      const next = this.bound(mutate(stored.doc));
      if (encodeHistory(next) === encodeHistory(stored.doc)) return stored.doc;
      try {
        await this.persistence.save(next, stored.version);
        return next;
      } catch (error) {
        if (!(error instanceof HistoryConflictError) || attempt >= this.maxAttempts) throw error;
      }
    }
  }

  /** Compacts finished hours, drops what is past retention, then whole days until it fits. */
  private bound(doc: HistoryDocument): HistoryDocument {
    const now = this.clock();
    let bounded = trimBefore(compact(doc, now), now - this.retentionMs);
    while (encodeHistory(bounded).length > this.maxBytes) {
      const start = historyStart(bounded);
      if (start === undefined || start + DAY_MS >= now) break;
      bounded = trimBefore(bounded, start + DAY_MS);
    }
    return bounded;
  }
}
