/**
 * The autoscaling policy's only door. Everything outside `operator/autoscaler/` (the live loop, the
 * autoscaling loop and its state store, the simulator, the baselines) imports the policy from here, so its internals can change freely; the
 * lint rule in eslint.config.js refuses imports of the other files from outside the folder.
 *
 * The queueing formulas (`erlangC`, `waitExceedProbability`) are exported because the simulator's
 * service model uses them to turn a replica count into waiting times.
 */
export { autoscale, initialAutoscalerState, scaledComponents } from './autoscaler.js';
export { cores, QUEUE_SLA_CLASS } from './sizing.js';
export { erlangC, waitExceedProbability } from './erlang.js';
export { decodeState, durableKey, encodeState, STATE_SIZE_LIMIT_BYTES } from './state-codec.js';
export type * from './types.js';
