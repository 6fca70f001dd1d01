/**
 * The real-time metrics of an API process. Hot-path tallies are plain numbers folded into the
 * counters at scrape time, so a broadcast to thousands of sockets costs no label lookups.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC } from '../../core/metric-names.js';
import type { ChannelName } from './channels.js';
import { publishFailuresCounter } from '../../core/realtime/publisher.js';

export interface RealtimeMetrics {
  delivered: Map<ChannelName, number>;
  disconnected(reason: string): void;
  lag: Histogram;
  publishFailures: Counter<'feed'>;
}

export function createRealtimeMetrics(
  registry: Registry,
  maxConnections: number,
  countConnections: () => { ws: number; sse: number },
): RealtimeMetrics {
  const delivered = new Map<ChannelName, number>();
  new Gauge({
    name: METRIC.realtimeConnections,
    help: 'Open real-time connections, by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      const counts = countConnections();
      this.set({ transport: 'ws' }, counts.ws);
      this.set({ transport: 'sse' }, counts.sse);
    },
  });
  new Gauge({
    name: METRIC.realtimeMaxConnections,
    help: 'Real-time connections this process accepts at most.',
    registers: [registry],
  }).set(maxConnections);
  new Counter({
    name: METRIC.realtimeMessagesDelivered,
    help: 'Messages written to real-time connections, by channel.',
    labelNames: ['channel'] as const,
    registers: [registry],
    collect() {
      for (const [channel, count] of delivered) if (count > 0) this.inc({ channel }, count);
      delivered.clear();
    },
  });
  const disconnects = new Counter({
    name: METRIC.realtimeDisconnects,
    help: 'Real-time connections ended, by reason (client, GOING_AWAY, SLOW_CONSUMER, TOKEN_EXPIRED, …).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    delivered,
    disconnected: (reason) => disconnects.inc({ reason }),
    lag: new Histogram({
      name: METRIC.realtimeDeliveryLag,
      help: 'Time from publishing a real-time message to its arrival at this process.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    publishFailures: publishFailuresCounter(registry),
  };
}
