import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePatch, serverSideApply, strategicMergePatch } from './merge.js';

describe('patches', () => {
  it('merge patch replaces lists and deletes null fields', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null }, l: [3] }), { a: 1, b: { d: 3 }, l: [3] });
  });

  it('strategic merge patch merges containers by name and honours $patch: delete', () => {
    const live = {
      spec: {
        containers: [
          { name: 'a', image: 'x', env: [{ name: 'A', value: '1' }] },
          { name: 'b', image: 'y' },
        ],
      },
    };
    const patch = {
      spec: {
        $setElementOrder: [{ name: 'a' }],
        containers: [
          { name: 'a', env: [{ name: 'B', value: '2' }] },
          { name: 'b', $patch: 'delete' },
        ],
      },
    };
    assert.deepEqual(strategicMergePatch(live, patch), {
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
    });
  });

  it('server-side apply removes what the manager stopped applying and keeps other managers’ fields', () => {
    const first = {
      metadata: { labels: { a: '1' } },
      spec: {
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        replicas: 2,
      },
    };
    const live = { ...serverSideApply(undefined, first, undefined) };
    (live.metadata as Record<string, unknown>).annotations = { 'someone/else': 'kept' };
    const second = { metadata: { labels: { a: '1' } }, spec: { env: [{ name: 'X', value: '3' }], replicas: 3 } };
    assert.deepEqual(serverSideApply(live, second, first), {
      metadata: { labels: { a: '1' }, annotations: { 'someone/else': 'kept' } },
      spec: { env: [{ name: 'X', value: '3' }], replicas: 3 },
    });
  });
});
