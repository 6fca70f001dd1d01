/**
 * `npm run generate [-- GROUP…]`: rewrites the checked-in generated files from code — the
 * operator's install manifests and Helm chart, alert rules and promtool tests, Grafana dashboards,
 * the simulation's plots and tables and the week's cost report (scripts/generated-files.ts) — and
 * removes the files in their places that are no longer produced. With group names (manifests,
 * alerts, dashboards, simulation) only those; `npm run synth` is `generate manifests`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { filesInPlaces, GENERATED_GROUPS, GROUP_NAMES, ROOT, type GroupName } from './generated-files.js';

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !GROUP_NAMES.includes(name as GroupName));
if (unknown.length) {
  console.error(`unknown group ${unknown.join(', ')}; groups: ${GROUP_NAMES.join(', ')}`);
  process.exit(2);
}

for (const name of asked.length ? (asked as GroupName[]) : GROUP_NAMES) {
  const group = GENERATED_GROUPS[name];
  const files = group.files();
  for (const path of filesInPlaces(group.owns)) {
    if (!files.has(path)) {
      rmSync(join(ROOT, path));
      console.log(`removed ${path}`);
    }
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), content);
  }
  console.log(`${name}: ${files.size} files`);
}
