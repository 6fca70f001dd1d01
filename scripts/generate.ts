/**
 * `npm run generate`: rewrites the generated, checked-in files (alert rules, promtool tests,
 * Grafana dashboards) from code, and removes generated files no longer produced.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles, GENERATED_DIRS } from './generated-files.js';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const files = generatedFiles();

for (const dir of GENERATED_DIRS) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const name of readdirSync(join(root, dir))) {
    if (!files.has(`${dir}/${name}`)) rmSync(join(root, dir, name));
  }
}
for (const [path, content] of files) writeFileSync(join(root, path), content);
console.log(`generated ${files.size} files in ${GENERATED_DIRS.join(', ')}`);
