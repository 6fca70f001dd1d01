import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { GENERATED_DIRS, generatedFiles } from './generated-files.js';

const root = join(dirname(new URL(import.meta.url).pathname), '..');

it('checked-in generated files are up to date (run `npm run generate`)', () => {
  const files = generatedFiles();
  const stale = [...files]
    .filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== content)
    .map(([p]) => p);
  assert.deepEqual(stale, [], 'files differ from what the code generates');
  const extra = GENERATED_DIRS.flatMap((dir) => readdirSync(join(root, dir)).map((name) => `${dir}/${name}`)).filter((p) => !files.has(p));
  assert.deepEqual(extra, [], 'files no longer generated');
});
