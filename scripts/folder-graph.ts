/**
 * The import graph between the repository's top-level folders, read from the sources with the
 * TypeScript compiler's own import scanner. Tests are left out: a test may reach anywhere, so it
 * is not part of what its folder exports. Used by `scripts/architecture.test.ts` (no cycles, and
 * the drawing in docs/architecture.md is the real graph).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export const SOURCE_FOLDERS = [
  'platform-api',
  'core',
  'domain',
  'api',
  'workers',
  'operator',
  'cdk8s',
  'alerts',
  'grafana',
  'simulator',
  'testing',
  'scripts',
  'bench',
] as const;

export type FolderEdge = `${string} --> ${string}`;

function sourceFiles(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Every `from → to` pair of distinct top-level folders where a production file of `from` imports one of `to`. */
export function folderEdges(root: string): Set<FolderEdge> {
  const edges = new Set<FolderEdge>();
  for (const folder of SOURCE_FOLDERS) {
    for (const file of sourceFiles(root, folder)) {
      const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) continue;
        const target = normalize(join(dirname(file), fileName)).split('/')[0]!;
        if (target !== folder && (SOURCE_FOLDERS as readonly string[]).includes(target)) edges.add(`${folder} --> ${target}`);
      }
    }
  }
  return edges;
}

/** A cycle among the folders as a path (`a → b → a`), or undefined when the graph is acyclic. */
export function findCycle(edges: Iterable<FolderEdge>): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    const [from, to] = edge.split(' --> ') as [string, string];
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'visiting');
    path.push(node);
    for (const to of next.get(node) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of next.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}
