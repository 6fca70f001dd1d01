/** The scaling decisions of a simulated run, for its cost report (the CLI's `--history` and the docs generator). */
import type { ReplicaChange, ScalingDecisionRecord } from '../../platform-api/v1alpha1/index.js';

/**
 * A simulated run records replica counts, not its policy's reasons: every change of a component
 * after its first count is one of the policy's decisions, so the report can rank what they cost.
 */
export function decisionsOf(history: readonly ReplicaChange[], policy: string): ScalingDecisionRecord[] {
  const last = new Map<string, number>();
  const decisions: ScalingDecisionRecord[] = [];
  for (const change of [...history].sort((a, b) => a.at - b.at)) {
    const from = last.get(change.component);
    last.set(change.component, change.replicas);
    if (from === undefined || from === change.replicas) continue;
    const reason = `${policy} policy in the simulator (its reasons are not recorded)`;
    decisions.push({
      component: change.component,
      from,
      to: change.replicas,
      time: new Date(change.at).toISOString(),
      reason,
      signals: {},
    });
  }
  return decisions;
}
