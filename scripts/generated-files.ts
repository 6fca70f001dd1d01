/** Every file `npm run generate` writes, by repository-relative path, and the folders it owns. */
import { generatedAlertFiles, RULES_DIR, TESTS_DIR } from '../alerts/files.js';
import { DASHBOARDS_DIR, generatedDashboardFiles } from '../grafana/files.js';

/** Folders holding only generated files: anything else in them is stale. */
export const GENERATED_DIRS = [RULES_DIR, TESTS_DIR, DASHBOARDS_DIR];

export function generatedFiles(): Map<string, string> {
  return new Map([...generatedAlertFiles(), ...generatedDashboardFiles()]);
}
