/**
 * `kubectl passplatform status|decisions|cost NAME [-n NS] [-o json]` — a kubectl plugin (the
 * executable `kubectl-passplatform` beside this file). Reads the PassPlatform and its Deployments
 * with the current kubeconfig context; the month's cost report is computed as the operator's
 * `/cost` computes it, from the same inputs: the platform's spec and decisions and the cost-history
 * ConfigMap the operator keeps beside it. So it needs only read access to the platform's namespace,
 * not the operator's (a service proxy to the operator would need `services/proxy` there).
 */
import { parseArgs } from 'node:util';
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { CostReport } from '../cost/report.js';
import { InvalidReportRequest, kubernetesCostSource, parsePeriod, reportFromData } from '../cost/service.js';
import { API_GROUP, API_VERSION, PLURAL, type PassPlatform } from '../../platform-api/v1alpha1/index.js';
import { costView, decisionsView, renderCost, renderDecisions, renderStatus, statusView, type DeploymentReplicas } from './views.js';

const USAGE = `Usage: kubectl passplatform status|decisions|cost NAME [-n NAMESPACE] [-o text|json] [--month YYYY-MM]`;

const COMPONENT_LABEL = 'app.kubernetes.io/component';

interface Options {
  command: 'status' | 'decisions' | 'cost';
  name: string;
  namespace: string;
  output: 'text' | 'json';
  month?: string;
}

function parse(argv: string[], kubeConfig: KubeConfig): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o', default: 'text' },
      month: { type: 'string' },
    },
  });
  const [command, name] = positionals;
  if (command !== 'status' && command !== 'decisions' && command !== 'cost') throw new UsageError(`unknown command ${command ?? '(none)'}`);
  if (!name) throw new UsageError('NAME is required');
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError(`--output must be text or json, not ${values.output}`);
  if (values.month !== undefined && !/^\d{4}-\d{2}$/.test(values.month)) throw new UsageError('--month must be YYYY-MM');
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return {
    command,
    name,
    namespace: values.namespace ?? contextNamespace ?? 'default',
    output: values.output,
    month: values.month,
  };
}

class UsageError extends Error {}

async function readPlatform(kubeConfig: KubeConfig, options: Options): Promise<PassPlatform> {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return (await custom.getNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace: options.namespace,
    plural: PLURAL,
    name: options.name,
  })) as PassPlatform;
}

async function readDeployments(kubeConfig: KubeConfig, options: Options): Promise<DeploymentReplicas[]> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const list = await apps.listNamespacedDeployment({
    namespace: options.namespace,
    labelSelector: `app.kubernetes.io/instance=${options.name}`,
  });
  return list.items.map((d) => ({
    component: d.metadata?.labels?.[COMPONENT_LABEL] ?? d.metadata?.name ?? '?',
    desired: d.spec?.replicas ?? null,
    ready: d.status?.readyReplicas ?? 0,
  }));
}

/** An error the plugin reports as `HTTP <code>: message`, as it does the API server's. */
class NotFoundError extends Error {
  readonly code = 404;
}

async function readCost(kubeConfig: KubeConfig, options: Options): Promise<CostReport> {
  const platform = { namespace: options.namespace, name: options.name };
  const data = await kubernetesCostSource(kubeConfig).load(platform);
  if (!data) throw new NotFoundError(`PassPlatform ${platform.namespace}/${platform.name} not found`);
  const now = Date.now();
  try {
    return reportFromData(data, {
      period: parsePeriod({ month: options.month }, now),
      now,
      platform: `${platform.namespace}/${platform.name}`,
    });
  } catch (error) {
    if (error instanceof InvalidReportRequest) throw new UsageError(error.message);
    throw error;
  }
}

export async function run(argv: string[], kubeConfig: KubeConfig): Promise<string> {
  const options = parse(argv, kubeConfig);
  let view: unknown;
  let text: string;
  if (options.command === 'cost') {
    const v = costView(options.name, options.namespace, await readCost(kubeConfig, options));
    [view, text] = [v, renderCost(v)];
  } else {
    const platform = await readPlatform(kubeConfig, options);
    if (options.command === 'decisions') {
      const v = decisionsView(platform);
      [view, text] = [v, renderDecisions(v)];
    } else {
      const v = statusView(platform, await readDeployments(kubeConfig, options));
      [view, text] = [v, renderStatus(v)];
    }
  }
  return options.output === 'json' ? JSON.stringify(view, null, 2) : text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  run(process.argv.slice(2), kubeConfig)
    .then((out) => process.stdout.write(`${out}\n`))
    .catch((err: Error & { code?: number; body?: unknown }) => {
      if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`);
      else console.error(`kubectl-passplatform: ${err.code ? `HTTP ${err.code}: ` : ''}${err.message}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    });
}
