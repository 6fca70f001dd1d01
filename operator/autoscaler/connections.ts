/**
 * API pods needed to hold the open real-time connections. Each pod accepts at most
 * REALTIME_MAX_CONNECTIONS (exported as a metric; set from what its memory and file descriptors
 * allow). The fleet is sized so that pods run below that by a margin: when a pod goes away, its
 * clients reconnect to the others at once, and those must have room for them.
 */
import type { ApiSignals } from './types.js';

/** Share of a pod's connection limit planned to be in use. */
export const CONNECTION_TARGET_RATIO = 0.7;

export interface ConnectionNeed {
  pods: number;
  reason: string;
}

/** Undefined when the pods export no real-time figures (an older image, or none scraped yet). */
export function podsForConnections(
  api: Pick<ApiSignals, 'realtimeConnections' | 'realtimeMaxConnectionsPerPod'>,
): ConnectionNeed | undefined {
  const { realtimeConnections: open, realtimeMaxConnectionsPerPod: perPod } = api;
  if (open === undefined || perPod === undefined || perPod <= 0) return undefined;
  const pods = Math.ceil(open / (perPod * CONNECTION_TARGET_RATIO));
  return { pods, reason: `${open} real-time connections at ≤ ${CONNECTION_TARGET_RATIO * 100} % of ${perPod} per pod → ${pods} pods` };
}
