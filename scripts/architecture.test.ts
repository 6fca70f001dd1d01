import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findCycle, folderEdges, type FolderEdge } from './folder-graph.js';

const root = new URL('..', import.meta.url).pathname;

/** The `a --> b` lines of the first mermaid block of docs/architecture.md. */
function drawnEdges(): Set<FolderEdge> {
  const doc = readFileSync(`${root}docs/architecture.md`, 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/architecture.md draws the folders in a mermaid block');
  return new Set([...block.matchAll(/^\s*([\w-]+) --> ([\w-]+)\s*$/gm)].map((m) => `${m[1]} --> ${m[2]}` as FolderEdge));
}

describe('the folder layout', () => {
  it('has no import cycle between top-level folders', () => {
    assert.equal(findCycle(folderEdges(root)), undefined);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    assert.deepEqual(findCycle(['a --> b', 'b --> c', 'c --> a']), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(['a --> b', 'a --> c', 'b --> c']), undefined);
  });

  it('is drawn truthfully in docs/architecture.md: every import direction, and none that is not there', () => {
    const real = folderEdges(root);
    const drawn = drawnEdges();
    assert.deepEqual(
      {
        missingFromTheDrawing: [...real].filter((e) => !drawn.has(e)).sort(),
        drawnButAbsent: [...drawn].filter((e) => !real.has(e)).sort(),
      },
      { missingFromTheDrawing: [], drawnButAbsent: [] },
    );
  });
});
