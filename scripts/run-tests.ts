/**
 * Runs the test files with Node's own test runner (through tsx, so TypeScript runs as is).
 * `npm test` runs every `*.test.ts`; `npm test -- api operator/autoscaler` runs those under the given paths.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ControlPlane } from '../testing/control-plane/control-plane.js';
import { SHARED_CONTROL_PLANE_ENV } from '../testing/control-plane/for-tests.js';

const ROOTS = ['core', 'platform-api', 'api', 'workers', 'operator', 'cdk8s', 'alerts', 'grafana', 'scripts', 'testing', 'simulator'];
const SKIP = new Set(['node_modules', '.data', 'dist', '.git']);

function findTests(dir: string, into: string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return into;
  }
  for (const name of entries) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, into);
    else if (name.endsWith('.test.ts')) into.push(path);
  }
  return into;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const all = ROOTS.flatMap((root) => findTests(root, [])).sort();
const files = filters.length ? all.filter((f) => filters.some((p) => f.startsWith(p) || f.includes(p))) : all;
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// One real Kubernetes control plane for every test file that uses it (each works in namespaces of
// its own): starting one per file would cost the 2-core machine far more than the tests themselves.
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
let controlPlane: ControlPlane | undefined;
// A file uses it through startTestControlPlane(), useControlPlane() or useOperatorNamespace()
// (testing/control-plane/), or through spawnOperator() (testing/platform-processes.ts).
const usesControlPlane = (file: string) =>
  /\b(startTestControlPlane|useControlPlane|useOperatorNamespace|spawnOperator)\(/.test(readFileSync(file, 'utf8'));
if (!env[SHARED_CONTROL_PLANE_ENV] && files.some(usesControlPlane)) {
  const started = Date.now();
  controlPlane = await ControlPlane.start();
  env[SHARED_CONTROL_PLANE_ENV] = controlPlane.dir;
  console.log(`control plane for the tests up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${controlPlane.server}`);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files.map((f) => relative('.', f))],
  { stdio: 'inherit', env },
);
child.on('exit', (code, signal) => {
  void (controlPlane?.stop() ?? Promise.resolve()).finally(() => process.exit(code ?? (signal ? 1 : 0)));
});
