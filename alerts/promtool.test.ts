import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { DEFAULT_ALERTS, DEFAULT_SLA } from '../platform-api/v1alpha1/index.js';
import { RULES_DIR, TESTS_DIR, toYaml } from './files.js';
import { buildRuleGroups } from './rules.js';
import { isAlertingRule, type RuleGroup } from './rule-types.js';

const run = promisify(execFile);
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const scratch = mkdtempSync(join(tmpdir(), 'passplatform-promtool-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const filesIn = (dir: string, suffix: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(root, dir, f));

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`${PROMTOOL} not found: install Debian's "prometheus" package (.ci/run does)`, { cause: err });
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}

const ruleFiles = filesIn(RULES_DIR, '.rules.yml');
const testFiles = filesIn(TESTS_DIR, '.test.yml');

describe('generated rule files', () => {
  it('pass promtool check rules (including its lint)', async () => {
    assert.ok(ruleFiles.length > 0);
    const out = await promtool('check', 'rules', ...ruleFiles);
    assert.equal((out.match(/SUCCESS/g) ?? []).length, ruleFiles.length, out);
  });

  it('PrometheusRule manifests hold exactly the groups of the rule files and pass promtool', async () => {
    const fromRuleFiles = ruleFiles.flatMap((f) => (load(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups);
    const manifests = filesIn(RULES_DIR, '.prometheusrule.yaml').map(
      (f) => load(readFileSync(f, 'utf8')) as { kind: string; spec: { groups: RuleGroup[] } },
    );
    assert.ok(manifests.every((m) => m.kind === 'PrometheusRule'));
    const fromManifests = manifests.flatMap((m) => m.spec.groups);
    const byName = (groups: RuleGroup[]) => [...groups].sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName(fromManifests), byName(fromRuleFiles));
    const extracted = join(scratch, 'manifests.rules.yml');
    writeFileSync(extracted, toYaml({ groups: fromManifests }));
    await promtool('check', 'rules', extracted);
  });

  it('rules built from a platform with its own thresholds and scope pass promtool too', async () => {
    const groups = buildRuleGroups(
      { ...DEFAULT_ALERTS, criticalLatencyP95Seconds: 3, cacheHitRatioMin: 0.9 },
      { ...DEFAULT_SLA, auth: 0.15 },
      {
        workloadMatchers: { namespace: 'campus' },
        platformMatchers: { platform: 'main', platform_namespace: 'campus' },
        autoscalingIntervalSeconds: 60,
      },
    );
    const custom = join(scratch, 'custom.rules.yml');
    writeFileSync(custom, toYaml({ groups }));
    await promtool('check', 'rules', custom);
  });
});

describe('runbooks', () => {
  it('hold only valid PromQL in their query blocks', async () => {
    const exprs = filesIn('alerts/runbooks', '.md').flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/```promql\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').trim().split('\n')),
    );
    assert.ok(exprs.length > 26);
    const file = join(scratch, 'runbook-queries.rules.yml');
    writeFileSync(
      file,
      toYaml({ groups: [{ name: 'runbook-queries', rules: exprs.map((expr, i) => ({ record: `runbook:query_${i}`, expr })) }] }),
    );
    await promtool('check', 'rules', '--lint=none', file);
  });
});

describe('promtool unit tests', { concurrency: 2 }, () => {
  it('every alert has a scenario where it fires and one where it stays quiet', () => {
    const alerts = ruleFiles
      .flatMap((f) => (load(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups)
      .flatMap((g) => g.rules.filter(isAlertingRule).map((r) => r.alert));
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const file of testFiles) {
      const tests = (load(readFileSync(file, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] })
        .tests;
      for (const t of tests.flatMap((g) => g.alert_rule_test)) (t.exp_alerts.length ? fires : quiet).add(t.alertname);
    }
    assert.ok(alerts.length > 20, `only ${alerts.length} alerts`);
    assert.deepEqual(
      alerts.filter((a) => !fires.has(a)),
      [],
      'alerts never shown firing',
    );
    assert.deepEqual(
      alerts.filter((a) => !quiet.has(a)),
      [],
      'alerts never shown staying quiet',
    );
  });

  // Two promtool processes (the machine has two cores); each file is independent.
  const halves = [testFiles.filter((_, i) => i % 2 === 0), testFiles.filter((_, i) => i % 2 === 1)];
  for (const [i, files] of halves.entries()) {
    it(`pass promtool test rules (batch ${i + 1} of ${halves.length}: ${files.length} files)`, async () => {
      const out = await promtool('test', 'rules', ...files);
      assert.equal((out.match(/SUCCESS/g) ?? []).length, files.length, out);
    });
  }
});
