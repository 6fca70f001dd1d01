/**
 * `npm run synth`: writes the operator's install manifests (cdk8s/manifests/) and the Helm chart
 * (charts/pass-operator/) from the cdk8s constructs. Both are checked in; a test keeps them in step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helmChartFiles, toYamlDocuments } from './helm-chart.js';
import { installObjects, serviceMonitorObjects } from './operator-install.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function synthesizedFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'cdk8s/manifests/pass-operator.yaml': toYamlDocuments(installObjects()),
    'cdk8s/manifests/pass-operator-servicemonitor.yaml': toYamlDocuments(serviceMonitorObjects()),
  };
  for (const [path, text] of Object.entries(helmChartFiles())) files[`charts/pass-operator/${path}`] = text;
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of Object.entries(synthesizedFiles())) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    console.error(`wrote ${path}`);
  }
}
