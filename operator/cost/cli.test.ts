import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ReplicaChange } from '../../platform-api/v1alpha1/index.js';
import { at, TEST_PRICES, TEST_SIZING } from './fixtures.js';

const costReport = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'operator/cost/cli.ts', ...args], { encoding: 'utf8' });

describe('cost-report CLI over a simulator history file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cost-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A week from Monday Nov 2: api 6 replicas 08:00–18:00 UTC, 2 otherwise; the rest constant.
  const start = at('2026-11-02T00:00:00Z');
  const changes: ReplicaChange[] = [
    { component: 'worker-uploads', at: start, replicas: 1 },
    { component: 'postgres-replicas', at: start, replicas: 1 },
    { component: 'redis-shards', at: start, replicas: 3 },
  ];
  for (let day = 0; day < 7; day++) {
    changes.push({ component: 'api', at: start + day * 86_400_000, replicas: 2 });
    changes.push({ component: 'api', at: start + day * 86_400_000 + 8 * 3_600_000, replicas: 6 });
    changes.push({ component: 'api', at: start + day * 86_400_000 + 18 * 3_600_000, replicas: 2 });
  }
  const historyPath = join(dir, 'week.json');
  const specPath = join(dir, 'platform.json');
  writeFileSync(historyPath, JSON.stringify({ changes, start, end: start + 7 * 86_400_000 }));
  /** The report of the `ours` run of the `week` trace in a simulator output file, priced with the test spec. */
  const reportOfOursOnTheWeek = (simulationPath: string, format: 'csv' | 'json') =>
    costReport(['--history', simulationPath, '--trace', 'week', '--policy', 'ours', '--spec', specPath, '--format', format]);
  writeFileSync(
    specPath,
    JSON.stringify({ apiVersion: 'passplatform.io/v1alpha1', kind: 'PassPlatform', spec: { ...TEST_SIZING, cost: TEST_PRICES } }),
  );

  it('prices the run with the manifest prices over the run’s own span', async () => {
    const { stdout } = await costReport(['--history', historyPath, '--spec', specPath, '--format', 'csv']);
    const rows = stdout.trimEnd().split('\r\n');
    // api: 7 × (10 h × 6 + 14 h × 2) = 616 replica-hours × 0.025 = 15.4; fixed 6 × 168 h × 0.025 = 25.2
    assert.equal(rows[1], '2026-11-02T00:00:00.000Z,2026-11-09T00:00:00.000Z,api,true,616,6,3.666667,15.4,25.2,9.8,,USD');
    // + uploads 8.4 + Postgres 2 × 168 h × 0.501 + Redis 3 × 168 h × 0.2002 + the default shared services
    // ($105 a month: 168 h × round(105 / 730, 6) = 168 × 0.143836 = 24.164448), in a file of their own
    const totals = (await costReport(['--history', historyPath, '--spec', specPath, '--format', 'csv-totals'])).stdout
      .trimEnd()
      .split('\r\n');
    const field = (name: string) => totals[1]?.split(',')[totals[0]?.split(',').indexOf(name) ?? -1];
    assert.deepEqual(
      [field('replica_hours'), field('cost'), field('fixed_fleet_cost'), field('saving')],
      ['1624', '317.201248', '327.001248', '9.8'],
    );
    // The seed's $1,085 a month over the run's 168 hours of an average 730.5-hour month.
    assert.equal(field('seed_fleet_prorated'), '249.527721');
  });

  it('writes the HTML page to a file', async () => {
    const out = join(dir, 'week.html');
    await costReport(['--history', historyPath, '--spec', specPath, '--format', 'html', '--out', out]);
    assert.match(readFileSync(out, 'utf8'), /<svg [^]*<svg [^]*<svg /);
  });

  it('reads the simulator’s own file, one run chosen by trace and policy, over the run’s duration', async () => {
    const simulationPath = join(dir, 'simulation.json');
    const run = (policy: string, apiReplicas: number) => ({
      policy,
      durationMinutes: 7 * 24 * 60,
      history: [...changes.filter((change) => change.component !== 'api'), { component: 'api', at: start, replicas: apiReplicas }],
    });
    writeFileSync(simulationPath, JSON.stringify({ seed: 1, traces: [{ trace: 'week', runs: [run('hpa', 4), run('ours', 3)] }] }));
    const { stdout } = await reportOfOursOnTheWeek(simulationPath, 'csv');
    // 3 api replicas × 168 h × 0.025 = 12.6
    assert.equal(stdout.split('\r\n')[1], '2026-11-02T00:00:00.000Z,2026-11-09T00:00:00.000Z,api,true,504,3,3,12.6,12.6,0,,USD');
    await assert.rejects(costReport(['--history', simulationPath]), /week\/hpa, week\/ours/);
  });

  it('ranks a simulated run’s replica changes as the decisions that cost most', async () => {
    const simulationPath = join(dir, 'simulation-decisions.json');
    writeFileSync(
      simulationPath,
      JSON.stringify({ seed: 1, traces: [{ trace: 'week', runs: [{ policy: 'ours', durationMinutes: 7 * 24 * 60, history: changes }] }] }),
    );
    const { stdout } = await reportOfOursOnTheWeek(simulationPath, 'json');
    const { costliestDecisions } = JSON.parse(stdout) as {
      costliestDecisions: { decision: { from: number; to: number }; cost: number; hours: number }[];
    };
    // Each morning's 2 → 6 holds 10 h: 4 × 10 h × 0.025 = 1 each, the top of the list; the evenings' 6 → 2 save as much.
    assert.equal(costliestDecisions.length, 10);
    assert.deepEqual(
      costliestDecisions.slice(0, 6).map(({ decision, cost, hours }) => [decision.from, decision.to, cost, hours]),
      Array(6).fill([2, 6, 1, 10]),
    );
  });

  it('rejects a bad month with the usage and exit code 2', async () => {
    await assert.rejects(costReport(['--history', historyPath, '--month', '2026-13']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /month must be YYYY-MM/);
      return true;
    });
  });
});
