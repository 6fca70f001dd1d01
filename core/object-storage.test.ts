/** The filesystem store's batched writes: what is left to write after a short `writev`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unwritten } from './object-storage.js';

const text = (buffers: Buffer[]) => buffers.map((b) => b.toString());

describe('unwritten', () => {
  const batch = () => [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];

  it('keeps everything after a write of nothing, and nothing after a whole write', () => {
    assert.deepEqual(text(unwritten(batch(), 0)), ['abc', 'de', 'fgh']);
    assert.deepEqual(unwritten(batch(), 8), []);
  });

  it('drops the buffers written whole and cuts the one written in part', () => {
    assert.deepEqual(text(unwritten(batch(), 3)), ['de', 'fgh']);
    assert.deepEqual(text(unwritten(batch(), 4)), ['e', 'fgh']);
    assert.deepEqual(text(unwritten(batch(), 7)), ['h']);
  });
});
