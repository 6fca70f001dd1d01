/** Access-log spill directories for tests: one fresh temp dir per writer or API instance, removed when the test process exits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
process.once('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempSpillDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pp-spill-'));
  created.push(dir);
  return dir;
}
