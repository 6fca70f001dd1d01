import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, NOVEMBER_HISTORY, TEST_PRICES, TEST_SHAPES } from './fixtures.js';
import { appendChanges, appendPrices, emptyHistory, encodeHistory, historyStart, type HistoryDocument } from './history-document.js';
import { HistoryConflictError, ReplicaHistoryStore, type HistoryPersistence, type StoredHistory } from './history-store.js';
import { computeCostReport } from './report.js';

/**
 * The store's own persistence contract kept in memory: a compare-and-swap on a version counter,
 * exactly what the ConfigMap's resourceVersion gives (configmap-persistence.test.ts runs the same
 * store against an API server).
 */
class VersionedMemory implements HistoryPersistence {
  text: string | undefined;
  version = 0;
  writes = 0;
  conflicts = 0;
  /** Runs between a store's read and its write, to let another writer in. */
  beforeSave: (() => Promise<void>) | undefined;

  async load(): Promise<StoredHistory> {
    return {
      doc: this.text ? (JSON.parse(this.text) as HistoryDocument) : emptyHistory(),
      version: this.text ? String(this.version) : undefined,
    };
  }

  async save(doc: HistoryDocument, version: string | undefined): Promise<string> {
    const hook = this.beforeSave;
    this.beforeSave = undefined;
    await hook?.();
    if ((version === undefined && this.text !== undefined) || (version !== undefined && version !== String(this.version))) {
      this.conflicts++;
      throw new HistoryConflictError();
    }
    this.text = encodeHistory(doc);
    this.version++;
    this.writes++;
    return String(this.version);
  }
}

describe('ReplicaHistoryStore', () => {
  it('a restart mid-month reloads the history and gives the same report as one uninterrupted run', async () => {
    const persistence = new VersionedMemory();
    let now = at('2026-11-15T09:07:00Z');
    const clock = () => now;
    const before = NOVEMBER_HISTORY.filter((change) => change.at < now);
    const after = NOVEMBER_HISTORY.filter((change) => change.at >= now);

    const first = new ReplicaHistoryStore(persistence, { clock });
    await first.recordObserved({}, TEST_PRICES);
    await first.record(before);
    // The operator restarts (or another replica takes the lease): a new store over the same ConfigMap.
    now = at('2026-12-02T00:00:00Z');
    const second = new ReplicaHistoryStore(persistence, { clock });
    await second.record(after);
    const stored = await second.load();

    let uninterrupted = appendChanges(emptyHistory(), NOVEMBER_HISTORY);
    uninterrupted = appendPrices(uninterrupted, TEST_PRICES, at('2026-11-15T09:07:00Z'));
    const report = (history: HistoryDocument) =>
      computeCostReport({ history, shapes: TEST_SHAPES, period: { month: '2026-11' }, now: at('2026-12-15T00:00:00Z') });
    assert.deepEqual(report(stored), report(uninterrupted));
    assert.equal(report(stored).total.cost, 1250.463667);
  });

  it('records nothing when what runs is what the history already says', async () => {
    const persistence = new VersionedMemory();
    const store = new ReplicaHistoryStore(persistence, { clock: () => at('2026-11-01T10:00:00Z') });
    await store.recordObserved({ api: 2, 'redis-shards': 3 }, TEST_PRICES);
    await store.recordObserved({ api: 2, 'redis-shards': 3 }, TEST_PRICES);
    await store.record([{ component: 'api', at: at('2026-11-01T10:00:00Z'), replicas: 2 }]);
    assert.equal(persistence.writes, 1);
  });

  it('a writer that loses the race re-reads and keeps both writes (leader change)', async () => {
    const persistence = new VersionedMemory();
    const clock = () => at('2026-11-01T10:30:00Z');
    const outgoing = new ReplicaHistoryStore(persistence, { clock });
    const incoming = new ReplicaHistoryStore(persistence, { clock });
    await outgoing.record([{ component: 'api', at: at('2026-11-01T10:00:00Z'), replicas: 2 }]);
    persistence.beforeSave = async () => {
      await incoming.record([{ component: 'worker-uploads', at: at('2026-11-01T10:10:00Z'), replicas: 1 }]);
    };
    await outgoing.record([{ component: 'api', at: at('2026-11-01T10:20:00Z'), replicas: 5 }]);
    const doc = await incoming.load();
    assert.equal(persistence.conflicts, 1);
    assert.deepEqual(doc.components.api, [
      [at('2026-11-01T10:00:00Z'), 2],
      [at('2026-11-01T10:20:00Z'), 5],
    ]);
    assert.deepEqual(doc.components['worker-uploads'], [[at('2026-11-01T10:10:00Z'), 1]]);
  });

  it('compacts finished hours and stays under its size bound, costs unchanged', async () => {
    const persistence = new VersionedMemory();
    const start = at('2026-11-01T00:00:00Z');
    let now = start;
    const store = new ReplicaHistoryStore(persistence, { clock: () => now, maxBytes: 8_000 });
    await store.recordObserved({}, TEST_PRICES);
    // An api that flaps every 5 minutes for 20 days: 5,760 changes.
    const changes = Array.from({ length: 20 * 24 * 12 }, (_, index) => ({
      component: 'api' as const,
      at: start + index * 5 * 60_000,
      replicas: 2 + (index % 3),
    }));
    const raw = appendPrices(appendChanges(emptyHistory(), changes), TEST_PRICES, start);
    for (let day = 0; day < 20; day++) {
      now = start + (day + 1) * 86_400_000;
      await store.record(changes.slice(day * 288, (day + 1) * 288));
    }
    const stored = await store.load();
    assert.ok(persistence.text && persistence.text.length <= 8_000, `stored ${persistence.text?.length} bytes`);
    // 8 kB holds about 11 days of hourly aggregates (20 days take 14 kB): the oldest days went, whole.
    const kept = historyStart(stored) as number;
    assert.ok(kept > start && (kept - start) % 86_400_000 === 0);
    const range = { from: kept, to: now };
    const report = (history: HistoryDocument) => computeCostReport({ history, shapes: TEST_SHAPES, period: range, now });
    assert.deepEqual(report(stored).lines, report(raw).lines);
    // Every hour: 12 five-minute slots of 2, 3, 4 replicas → 36 × 5 min = 3 replica-hours → 0.075.
    assert.equal(report(stored).lines.find((line) => line.line === 'api')?.cost, ((now - kept) / 3_600_000) * 0.075);
  });
});
