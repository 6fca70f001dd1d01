/**
 * A real Prometheus for tests (the Debian `prometheus` binary, or PROMETHEUS_BIN): started on a
 * free port with a temporary config and data directory, scraping the given targets every second,
 * and removed with its data on `stop()`. Each target can carry static labels, which is how a test
 * gives a process the labels a Kubernetes scrape would add (e.g. `namespace`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { freePort } from '../core/ports.js';
import { eventually } from './eventually.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

export interface ScrapeTarget {
  job: string;
  /** host:port serving /metrics. */
  address: string;
  labels?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>` on every scrape (a ServiceMonitor's `authorization`). */
  bearerToken?: string;
}

export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** Rule groups (the shape of a rule file's `groups`) Prometheus loads and evaluates. */
export interface PrometheusOptions {
  ruleGroups?: unknown[];
  /**
   * History to start with, in the OpenMetrics text format (samples with timestamps, `# EOF` last):
   * written into the TSDB as blocks with `promtool tsdb create-blocks-from openmetrics` before
   * Prometheus starts, as an operator backfills a new server.
   */
  backfill?: string;
}

export async function startPrometheus(
  targets: ScrapeTarget[],
  scrapeInterval = '1s',
  options: PrometheusOptions = {},
): Promise<TestPrometheus> {
  const dataDir = mkdtempSync(join(tmpdir(), 'passplatform-prometheus-'));
  const config = join(dataDir, 'prometheus.yml');
  const ruleFile = join(dataDir, 'rules.yml');
  if (options.ruleGroups) writeFileSync(ruleFile, dump({ groups: options.ruleGroups }, { noRefs: true, lineWidth: -1 }));
  writeFileSync(
    config,
    dump({
      global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
      ...(options.ruleGroups ? { rule_files: [ruleFile] } : {}),
      scrape_configs: targets.map((t) => ({
        job_name: t.job,
        static_configs: [{ targets: [t.address], ...(t.labels ? { labels: t.labels } : {}) }],
        ...(t.bearerToken ? { authorization: { type: 'Bearer', credentials: t.bearerToken } } : {}),
      })),
    }),
  );
  if (options.backfill !== undefined) {
    const input = join(dataDir, 'backfill.om.txt');
    writeFileSync(input, options.backfill);
    const created = spawnSync(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, join(dataDir, 'data')], {
      encoding: 'utf8',
    });
    if (created.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`promtool could not backfill: ${created.stderr || created.error?.message}`);
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => (await fetch(`${url}/-/ready`)).ok, 'Prometheus to be ready', 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
