/**
 * The claim the simulator exists to test, as a check that can fail: on every trace and seed ours
 * has fewer SLA-violation minutes than each baseline (a tie counts only at zero, where nothing can
 * be fewer), and on the traces named for cost (a week: what finance pays for) ours also costs
 * fewer dollars and fewer replica-hours than each baseline.
 */
import type { PolicyName } from './policies.js';
import type { SimulationReport } from './report.js';
import type { RunResult } from './run.js';

export interface CheckOptions {
  /** Traces on which ours must also be the cheapest, in money and in replica-hours. */
  costTraces: readonly string[];
}

export const DEFAULT_CHECK: CheckOptions = { costTraces: ['week'] };

export interface CheckFailure {
  seed: number;
  trace: string;
  baseline: PolicyName;
  message: string;
}

export function checkReport(report: SimulationReport, options: CheckOptions = DEFAULT_CHECK): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const { trace, runs } of report.traces) {
    const ours = runs.find((r) => r.policy === 'ours');
    if (!ours) throw new Error(`${trace}: no run of our policy to check`);
    for (const baseline of runs.filter((r) => r.policy !== 'ours')) {
      const fail = (message: string): void => {
        failures.push({ seed: report.seed, trace, baseline: baseline.policy, message });
      };
      if (!(ours.totalViolationMinutes < baseline.totalViolationMinutes || ours.totalViolationMinutes === 0)) {
        fail(`${ours.totalViolationMinutes} SLA-violation minutes, ${baseline.policy} ${baseline.totalViolationMinutes}`);
      }
      if (options.costTraces.includes(trace)) {
        if (!(ours.totalCost < baseline.totalCost)) fail(`costs ${money(ours)}, ${baseline.policy} ${money(baseline)}`);
        if (!(ours.totalReplicaHours < baseline.totalReplicaHours)) {
          fail(`${ours.totalReplicaHours.toFixed(1)} replica-hours, ${baseline.policy} ${baseline.totalReplicaHours.toFixed(1)}`);
        }
      }
    }
  }
  return failures;
}

function money(run: RunResult): string {
  return `${run.currency} ${run.totalCost.toFixed(2)}`;
}

export function formatFailure(failure: CheckFailure): string {
  return `seed ${failure.seed} ${failure.trace}: ours ${failure.message}`;
}
