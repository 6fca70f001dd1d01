/**
 * npm run cost-report -- --platform NS/NAME [--month YYYY-MM | --from ISO --to ISO]
 *                        [--format json|csv|csv-totals|csv-hourly|html] [--kubeconfig FILE]
 *                        [--requests N --active-users N] [--now ISO] [--out FILE]
 * npm run cost-report -- --history FILE [--spec FILE] [--trace T --policy P] [period, format and usage as above]
 *
 * The first form reads the platform and its durable history from the cluster. The second prices a
 * replica history file, as the simulator writes one (a ReplicaChange[] array, or an object with
 * `changes` and optionally `decisions`, `start` and `end` in epoch ms, or the simulator's own
 * `--history` output, one run chosen by --trace and --policy), with the sizing and prices of a
 * PassPlatform manifest (or the defaults).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { DEFAULT_SPEC, type PassPlatformSpec, type ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';
import { appendChanges, emptyHistory, replicaChangesSchema } from './history-document.js';
import { decisionsOf } from './simulated-decisions.js';
import type { CostReportInput } from './report.js';
import {
  InvalidReportRequest,
  kubernetesCostSource,
  parseFormat,
  parsePeriod,
  parseUsage,
  renderReport,
  reportFromData,
  type PlatformCostData,
} from './service.js';

const USAGE =
  'usage: npm run cost-report -- (--platform NS/NAME [--kubeconfig FILE] | --history FILE [--spec FILE] [--trace T --policy P]) [--month YYYY-MM | --from ISO --to ISO] [--format json|csv|csv-totals|csv-hourly|html] [--requests N --active-users N] [--now ISO] [--out FILE]';

const { values } = parseArgs({
  options: {
    platform: { type: 'string' },
    kubeconfig: { type: 'string' },
    history: { type: 'string' },
    spec: { type: 'string' },
    month: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    requests: { type: 'string' },
    'active-users': { type: 'string' },
    out: { type: 'string' },
    now: { type: 'string' },
    trace: { type: 'string' },
    policy: { type: 'string' },
    help: { type: 'boolean' },
  },
});

const historyFileSchema = z.union([
  replicaChangesSchema,
  z.object({
    changes: replicaChangesSchema,
    decisions: z.array(z.any()).optional(),
    start: z.number().optional(),
    end: z.number().optional(),
  }),
]);

/** What `npm run simulate -- --history FILE` writes: every trace's runs, one per policy. */
const simulationFileSchema = z.object({
  traces: z.array(
    z.object({
      trace: z.string(),
      runs: z.array(z.object({ policy: z.string(), durationMinutes: z.number(), history: replicaChangesSchema })),
    }),
  ),
});

/** One run of a simulation file, chosen by --trace and --policy, as a history with its span. */
function simulationRun(file: z.infer<typeof simulationFileSchema>): z.infer<typeof historyFileSchema> {
  const runs = file.traces.flatMap((trace) => trace.runs.map((run) => ({ trace: trace.trace, ...run })));
  const chosen = runs.filter((run) => (!values.trace || run.trace === values.trace) && (!values.policy || run.policy === values.policy));
  const run = chosen[0];
  if (!run || chosen.length > 1) {
    throw new InvalidReportRequest(
      `choose one run with --trace and --policy; the file holds ${runs.map((r) => `${r.trace}/${r.policy}`).join(', ')}`,
    );
  }
  const start = Math.min(...run.history.map((change) => change.at));
  return { changes: run.history, start, end: start + run.durationMinutes * 60_000, decisions: decisionsOf(run.history, run.policy) };
}

async function main(): Promise<void> {
  if (values.help || (!values.platform && !values.history)) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const format = parseFormat(values.format);
  const usage = parseUsage(values.requests, values['active-users']);
  const input = values.history ? fromHistoryFile(values.history) : await fromCluster(values.platform as string);
  const report = reportFromData(input.data, {
    period: input.period,
    now: input.now,
    ...(usage ? { usage } : {}),
    ...(input.platform ? { platform: input.platform } : {}),
  });
  const { body } = renderReport(report, format);
  if (values.out) writeFileSync(values.out, body);
  else process.stdout.write(body);
}

interface CliInput {
  data: PlatformCostData;
  period: CostReportInput['period'];
  now: number;
  platform?: string;
}

async function fromCluster(platform: string): Promise<CliInput> {
  const [namespace, name] = platform.split('/');
  if (!namespace || !name) throw new InvalidReportRequest(`--platform must be NAMESPACE/NAME, got "${platform}"`);
  const kubeConfig = new KubeConfig();
  if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
  else kubeConfig.loadFromDefault();
  const data = await kubernetesCostSource(kubeConfig).load({ namespace, name });
  if (!data) throw new InvalidReportRequest(`PassPlatform ${platform} not found`);
  const now = values.now === undefined ? Date.now() : Date.parse(values.now);
  if (Number.isNaN(now)) throw new InvalidReportRequest(`--now must be an ISO time, got "${values.now}"`);
  return { data, now, platform, period: parsePeriod({ month: values.month, from: values.from, to: values.to }, now) };
}

/** A finished run: everything in the file is in the past, so nothing is projected past its end. */
function fromHistoryFile(path: string): CliInput {
  const content: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const simulation = simulationFileSchema.safeParse(content);
  const file = simulation.success ? simulationRun(simulation.data) : historyFileSchema.parse(content);
  const changes = Array.isArray(file) ? file : file.changes;
  if (changes.length === 0) throw new InvalidReportRequest(`${path} holds no replica changes`);
  const times = changes.map((change) => change.at);
  const start = (!Array.isArray(file) && file.start) || Math.min(...times);
  const end = (!Array.isArray(file) && file.end) || Math.max(...times);
  const explicit = values.month !== undefined || values.from !== undefined || values.to !== undefined;
  const period = explicit ? parsePeriod({ month: values.month, from: values.from, to: values.to }, end) : { from: start, to: end };
  const spec = specOf(values.spec);
  const decisions = (Array.isArray(file) ? [] : (file.decisions ?? [])) as ScalingDecisionRecord[];
  return {
    data: { sizing: spec, prices: spec.cost, decisions, history: appendChanges(emptyHistory(), changes) },
    period,
    now: Number.MAX_SAFE_INTEGER,
    platform: [path, values.trace, values.policy].filter(Boolean).join(' '),
  };
}

/** A PassPlatform manifest (YAML or JSON) or a bare spec; what it leaves out takes the defaults. */
function specOf(path: string | undefined): Omit<PassPlatformSpec, 'image' | 'version'> {
  if (!path) return DEFAULT_SPEC;
  const loaded = loadYaml(readFileSync(path, 'utf8')) as { spec?: Partial<PassPlatformSpec> } & Partial<PassPlatformSpec>;
  const spec = loaded.spec ?? loaded;
  return { ...DEFAULT_SPEC, ...spec, cost: { ...DEFAULT_SPEC.cost, ...spec.cost } };
}

main().catch((error: unknown) => {
  console.error(error instanceof InvalidReportRequest || error instanceof z.ZodError ? `cost-report: ${error.message}\n${USAGE}` : error);
  process.exitCode = error instanceof InvalidReportRequest ? 2 : 1;
});
