/**
 * Assembles the runtime tree exactly as the Dockerfile's last stage does: production dependencies
 * installed with the command the Dockerfile's `production-dependencies` stage runs, the compiled
 * `dist/` (with the API's bundle, as `npm run build` makes it), and `package.json` — nothing else —
 * owned by root and read-only to everyone else.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Stage {
  name: string;
  instructions: string[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined). */
export function dockerfileStages(text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(line);
    if (from?.[1]) stages.push({ name: from[1], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The `npm ci …` the production-dependencies stage runs, as argv. */
export function productionInstallCommand(stages = dockerfileStages()): string[] {
  const stage = stages.find((s) => s.name === 'production-dependencies');
  const run = stage?.instructions.find((i) => /^RUN npm ci /.test(i));
  if (!run) throw new Error('the Dockerfile has no production-dependencies stage running npm ci');
  return run.replace(/^RUN /, '').split(/\s+/);
}

/** Builds the tree in a new temporary directory and returns its path. */
export function assembleRuntimeTree(): string {
  const tree = mkdtempSync(join(tmpdir(), 'pp-runtime-tree-'));
  chmodSync(tree, 0o755);
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(REPO_ROOT, file), join(tree, file));
  const [command = 'npm', ...args] = productionInstallCommand();
  execFileSync(command, args, { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  // The last stage copies node_modules and package.json from the dependency stage, not the lockfile.
  execFileSync('rm', ['-f', join(tree, 'package-lock.json')]);
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(tree, 'dist')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  // The rest of `npm run build`: the API bundled into one file, from the tree's own (production) node_modules.
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(REPO_ROOT, 'scripts/bundle-api.ts'), join(tree, 'dist')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Root-owned, world-readable, nobody else may write: the tree is read-only to the process.
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', tree]);
  return tree;
}

/** What the runtime stage sets for every container of the image: its working directory and ENV. */
export function runtimeImageConfig(stages = dockerfileStages()): { workingDir: string; env: Record<string, string> } {
  const runtime = stages.at(-1);
  if (!runtime) throw new Error('the Dockerfile has no stages');
  const env: Record<string, string> = {};
  let workingDir = '/';
  for (const instruction of runtime.instructions) {
    const workdir = /^WORKDIR\s+(\S+)$/.exec(instruction);
    if (workdir?.[1]) workingDir = workdir[1];
    const assignments = /^ENV\s+(.+)$/.exec(instruction)?.[1];
    for (const [, name, value] of assignments?.matchAll(/(\w+)=("[^"]*"|\S+)/g) ?? [])
      if (name && value) env[name] = value.replace(/^"|"$/g, '');
  }
  return { workingDir, env };
}
