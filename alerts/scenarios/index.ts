/** Every promtool scenario, built against the thresholds of the rules under test. */
import type { RuleContext } from '../context.js';
import { availabilityScenarios } from './availability.js';
import { degradationHttpScenarios, sloScenarios, thresholdHttpScenarios } from './http.js';
import { autoscalingScenarios, operatorScenarios } from './operator.js';
import { resourceScenarios } from './resources.js';
import type { AlertScenario } from './series.js';
import { cacheScenarios, queueScenarios } from './workers.js';

export type { AlertScenario } from './series.js';

export function allScenarios(ctx: RuleContext): AlertScenario[] {
  return [
    ...availabilityScenarios(),
    ...thresholdHttpScenarios(ctx),
    ...resourceScenarios(ctx),
    ...degradationHttpScenarios(ctx),
    ...cacheScenarios(ctx),
    ...sloScenarios(),
    ...queueScenarios(ctx),
    ...autoscalingScenarios(ctx),
    ...operatorScenarios(),
  ];
}
