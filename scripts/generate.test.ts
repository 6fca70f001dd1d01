import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { filesInPlaces, GENERATED_GROUPS, GROUP_NAMES, ROOT } from './generated-files.js';
import { replaceSections } from './simulation-docs.js';

// Every group, the simulation's five seeds included (about two minutes of the test's time).
it('checked-in generated files are what the code generates, and nothing else is in their places (run `npm run generate`)', () => {
  const stale: string[] = [];
  const extra: string[] = [];
  for (const name of GROUP_NAMES) {
    const group = GENERATED_GROUPS[name];
    const files = group.files();
    for (const [path, content] of files) {
      if (!existsSync(join(ROOT, path)) || readFileSync(join(ROOT, path), 'utf8') !== content) stale.push(path);
    }
    extra.push(...filesInPlaces(group.owns).filter((path) => !files.has(path)));
  }
  assert.deepEqual({ stale, extra }, { stale: [], extra: [] });
});

it('a generated section is replaced between its markers, and a missing marker is an error', () => {
  const text = 'before\n<!-- generated:t -->\nold\n<!-- end generated:t -->\nafter\n';
  assert.equal(replaceSections(text, 'x.md', { t: 'new' }), 'before\n<!-- generated:t -->\nnew\n<!-- end generated:t -->\nafter\n');
  assert.throws(() => replaceSections('no markers', 'x.md', { t: 'new' }), /x\.md lacks the markers/);
});
