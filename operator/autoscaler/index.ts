/**
 * The autoscaling policy's only door. Everything outside `operator/autoscaler/` (the live loop, the
 * autoscaling loop and its state store, the simulator, the baselines) imports the policy from here, so its internals can change freely; the
 * lint rule in eslint.config.js refuses imports of the other files from outside the folder.
 * The simulator's model shares no maths with the policy: nothing here is for it but `autoscale`
 * and the initial state (eslint.config.js keeps the model files from importing this folder at all).
 */
export { autoscale, initialAutoscalerState, scaledComponents } from './autoscaler.js';
export { cores, QUEUE_SLA_CLASS } from './sizing.js';
export { decodeState, durableKey, encodeState, needsWrite, readState, STATE_SIZE_LIMIT_BYTES } from './state-codec.js';
export type * from './types.js';
