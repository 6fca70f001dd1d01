/**
 * The operator's install manifests (cdk8s/manifests/) and the Helm chart (charts/pass-operator/)
 * from the cdk8s constructs. Both are checked in: `npm run synth` (the generator's manifests
 * group, scripts/generate.ts) writes them and removes stale ones; scripts/generate.test.ts keeps
 * them in step.
 */
import { helmChartFiles, toYamlDocuments } from './helm-chart.js';
import { installObjects, serviceMonitorObjects } from './operator-install.js';

export function synthesizedFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'cdk8s/manifests/pass-operator.yaml': toYamlDocuments(installObjects()),
    'cdk8s/manifests/pass-operator-servicemonitor.yaml': toYamlDocuments(serviceMonitorObjects()),
  };
  for (const [path, text] of Object.entries(helmChartFiles())) files[`charts/pass-operator/${path}`] = text;
  return files;
}
