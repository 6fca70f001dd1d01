/**
 * promtool unit-test files built from the scenarios: one file per alert group, loading that
 * group's rule file (and the recording rules when it reads them). Expected labels add the rule's
 * own labels; expected annotations are the rule's templates rendered with the scenario's value,
 * so a wrong template, label or number fails `promtool test rules`.
 */
import type { AlertScenario } from './scenarios/index.js';
import { isAlertingRule, type AlertingRule, type RuleGroup } from './rule-types.js';
import { durationSeconds } from './recording-rules.js';
import { renderTemplate } from './template-render.js';

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: PromtoolTestGroup[];
}

interface PromtoolTestGroup {
  name: string;
  interval: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: {
    eval_time: string;
    alertname: string;
    exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
  }[];
}

/**
 * `(alert name) → test file`: one file per alert, so each loads only the rules it needs (the
 * recording rules only when the alert reads them; evaluating those over a week of input is slow).
 */
export function buildPromtoolTests(
  groups: RuleGroup[],
  scenarios: AlertScenario[],
  ruleFile: (groupName: string) => string,
): Map<string, PromtoolTestFile> {
  const recordingGroups = groups.filter((g) => g.rules.every((r) => !isAlertingRule(r)));
  const files = new Map<string, PromtoolTestFile>();
  for (const scenario of scenarios) {
    const { group, rule } = findAlert(groups, scenario.alert);
    let file = files.get(rule.alert);
    if (!file) {
      const readsRecorded = recordingGroups.some((g) => g.rules.some((r) => !isAlertingRule(r) && rule.expr.includes(r.record)));
      file = {
        rule_files: [...(readsRecorded ? recordingGroups : []), group].map((g) => ruleFile(g.name)),
        evaluation_interval: evaluationInterval(scenarios.filter((s) => s.alert === rule.alert)),
        tests: [],
      };
      files.set(rule.alert, file);
    }
    file.tests.push(testGroup(scenario, rule));
  }
  return files;
}

/**
 * promtool evaluates every loaded rule at every step up to the latest eval time: scenarios that
 * span a day or more step every 5 minutes (still finer than any `for:` they test needs).
 */
function evaluationInterval(scenarios: AlertScenario[]): string {
  const longest = Math.max(...scenarios.map((s) => durationSeconds(s.evalTime)));
  return longest >= durationSeconds('1d') ? '5m' : '1m';
}

function testGroup(scenario: AlertScenario, rule: AlertingRule): PromtoolTestGroup {
  return {
    name: `${scenario.alert}: ${scenario.name}`,
    interval: scenario.interval ?? '1m',
    input_series: scenario.inputSeries,
    alert_rule_test: [
      {
        eval_time: scenario.evalTime,
        alertname: scenario.alert,
        exp_alerts: scenario.fires.map(({ labels, value }) => ({
          exp_labels: { ...labels, ...rule.labels },
          exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, t]) => [k, renderTemplate(t, labels, value)])),
        })),
      },
    ],
  };
}

function findAlert(groups: RuleGroup[], alert: string): { group: RuleGroup; rule: AlertingRule } {
  for (const group of groups) {
    const rule = group.rules.find((r): r is AlertingRule => isAlertingRule(r) && r.alert === alert);
    if (rule) return { group, rule };
  }
  throw new Error(`scenario for unknown alert ${alert}`);
}
