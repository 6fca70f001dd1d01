/**
 * Feeds the analytics channel: increments are summed in memory and added to today's totals in
 * Redis about once a second, so a burst of verifications costs one script call, not one each.
 */
import type { RealtimePublisher } from '../../core/realtime/publisher.js';

export class AnalyticsCounters {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly publisher: RealtimePublisher,
    private readonly flushMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  add(field: string, by = 1): void {
    this.pending.set(field, (this.pending.get(field) ?? 0) + by);
  }

  /** Adds what was counted since the last flush (one flush at a time, so totals never go backwards). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      await this.publisher.addCounters(new Date().toISOString().slice(0, 10), batch);
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
