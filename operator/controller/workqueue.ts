/**
 * A rate-limited work queue in the manner of client-go's: a key is queued at most once, is never
 * processed by two workers at once (a key added while it is being processed runs again after),
 * and a key that fails is retried with per-key exponential backoff until it succeeds. A key whose
 * processing asks to be requeued (a conflict, in controller-runtime's manner) goes through the same
 * backoff without being reported as an error.
 */
export interface WorkQueueOptions {
  /** Workers processing different keys at once. */
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

/** What processing a key may return besides nothing: run it again later, through the backoff. */
export interface Requeue {
  requeue: true;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly process: (key: string) => Promise<Requeue | undefined | void>,
    private readonly options: WorkQueueOptions = {},
  ) {}

  /** Queues `key` now (dropping any pending backoff for it). */
  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Queues `key` after `delayMs`, unless it is queued sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  /** Forgets a key's failures, e.g. once the object is gone. */
  forget(key: string): void {
    this.failures.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** The backoff for the next retry of `key`: base × 2^failures, capped. */
  backoffFor(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    return Math.min(this.options.maxDelayMs ?? 300_000, (this.options.baseDelayMs ?? 50) * 2 ** failures);
  }

  get length(): number {
    return this.order.length;
  }

  /** Resolves once nothing is queued, running or waiting on a backoff timer. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.order.length = 0;
    this.queued.clear();
    this.notifyIdle();
  }

  /** Queues `key` again after its backoff, which grows with each retry; returns the delay. */
  private retryLater(key: string): number {
    const delay = this.backoffFor(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.addAfter(key, delay);
    return delay;
  }

  private isIdle() {
    return this.order.length === 0 && this.active.size === 0 && this.timers.size === 0;
  }

  private notifyIdle() {
    if (!this.isIdle() && !this.stopped) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private pump() {
    const concurrency = this.options.concurrency ?? 2;
    while (this.active.size < concurrency && this.order.length > 0) {
      const key = this.order.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      void this.run(key);
    }
  }

  private async run(key: string) {
    try {
      const outcome = await this.process(key);
      if (outcome?.requeue) this.retryLater(key);
      else this.failures.delete(key);
    } catch (error) {
      this.options.onError?.(key, error, this.retryLater(key));
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      this.notifyIdle();
    }
  }
}
