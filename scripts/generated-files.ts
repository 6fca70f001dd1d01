/**
 * Every file `npm run generate` writes, by repository-relative path, in groups that can be
 * generated alone (`npm run synth` is the manifests group), and the places each group owns: a
 * file there that the group no longer produces is stale, and the generator removes it.
 */
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedAlertFiles, RULES_DIR, TESTS_DIR } from '../alerts/files.js';
import { synthesizedFiles } from '../cdk8s/synth.js';
import { DASHBOARDS_DIR, generatedDashboardFiles } from '../grafana/files.js';
import { COST_DIR, SIMULATION_DIR, simulationDocFiles } from './simulation-docs.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A folder whose files matching `names` (all, when unset) only the generator writes. */
export interface OwnedPlace {
  dir: string;
  names?: RegExp;
}

export interface GeneratedGroup {
  /** Where its files go; anything else matching there is extra. */
  owns: OwnedPlace[];
  files(): Map<string, string>;
}

const readRepoFile = (path: string) => readFileSync(join(ROOT, path), 'utf8');

export const GENERATED_GROUPS = {
  manifests: {
    owns: [{ dir: 'cdk8s/manifests' }, { dir: 'charts/pass-operator' }],
    files: () => new Map(Object.entries(synthesizedFiles())),
  },
  alerts: { owns: [{ dir: RULES_DIR }, { dir: TESTS_DIR }], files: () => generatedAlertFiles() },
  dashboards: { owns: [{ dir: DASHBOARDS_DIR }], files: () => generatedDashboardFiles() },
  // Runs the simulator over five seeds: about two minutes.
  simulation: {
    owns: [
      // frontier.json comes from `npm run simulate -- --frontier` (an hour of runs); what it renders to is generated.
      { dir: SIMULATION_DIR, names: /^(.*\.svg|frontier\.md)$/ },
      { dir: COST_DIR, names: /\.html$/ },
    ],
    files: () => simulationDocFiles(readRepoFile),
  },
} satisfies Record<string, GeneratedGroup>;

export type GroupName = keyof typeof GENERATED_GROUPS;
export const GROUP_NAMES = Object.keys(GENERATED_GROUPS) as GroupName[];

/** The repository-relative paths of the files now in a group's places (recursively). */
export function filesInPlaces(owns: readonly OwnedPlace[]): string[] {
  return owns.flatMap(({ dir, names }) =>
    (readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((entry) => entry.isFile() && (!names || names.test(entry.name)))
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name))),
  );
}
