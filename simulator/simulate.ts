/**
 * Runs every chosen trace under every policy with one seed: the whole comparison, as data.
 */
import type { PassPlatformSpec } from '../platform-api/v1alpha1/index.js';
import { POLICY_NAMES, type PolicyName } from './policies.js';
import type { SimulationReport } from './report.js';
import { runTrace } from './run.js';
import type { Trace } from './traces.js';

export function simulate(
  traces: readonly Trace[],
  spec: PassPlatformSpec,
  seed: number,
  policies: readonly PolicyName[] = POLICY_NAMES,
): SimulationReport {
  return {
    seed,
    traces: traces.map((trace) => ({
      trace: trace.name,
      description: trace.description,
      runs: policies.map((policy) => runTrace(trace, policy, spec, seed)),
    })),
  };
}
