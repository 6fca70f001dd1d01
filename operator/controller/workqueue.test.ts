import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('deduplicates queued keys and never runs one key twice at once', async () => {
    const runs: string[] = [];
    let inFlight = 0;
    let maxInFlightForA = 0;
    const queue = new WorkQueue(
      async (key) => {
        if (key === 'a') maxInFlightForA = Math.max(maxInFlightForA, ++inFlight);
        runs.push(key);
        await new Promise((r) => setImmediate(r));
        if (key === 'a') inFlight--;
      },
      { concurrency: 1 },
    );
    queue.add('a');
    queue.add('a'); // running now: marked dirty, runs once more after
    queue.add('a');
    queue.add('b');
    queue.add('b'); // already queued: dropped
    await queue.idle();
    assert.equal(maxInFlightForA, 1);
    assert.deepEqual(runs, ['a', 'b', 'a']);
  });

  it('retries a failing key with exponential backoff until it succeeds', async () => {
    let attempts = 0;
    const delays: number[] = [];
    const queue = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 4) throw new Error('conflict');
      },
      { baseDelayMs: 1, maxDelayMs: 4, onError: (_k, _e, delay) => delays.push(delay) },
    );
    queue.add('x');
    await queue.idle();
    assert.equal(attempts, 4);
    assert.deepEqual(delays, [1, 2, 4]);
    assert.equal(queue.backoffFor('x'), 1, 'success forgets the failures');
  });

  it('requeues a key that asks for it through the same backoff, without reporting an error', async () => {
    let attempts = 0;
    const errors: unknown[] = [];
    const queue = new WorkQueue(
      async () => {
        attempts++;
        return attempts < 3 ? { requeue: true } : undefined;
      },
      { baseDelayMs: 1, maxDelayMs: 4, onError: (_k, error) => errors.push(error) },
    );
    queue.add('x');
    assert.equal(queue.backoffFor('x'), 1);
    await queue.idle();
    assert.equal(attempts, 3);
    assert.deepEqual(errors, []);
    assert.equal(queue.backoffFor('x'), 1, 'the run that needed no requeue forgets the earlier ones');
  });
});
