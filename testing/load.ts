/**
 * Load for tests: `request` sent at most `perSecond` times a second, in batches, until stopped.
 *
 * A batch waits for its requests to finish before the next one starts, so on a busy machine the
 * load runs slower than asked. Tests must therefore never assume the asked rate was reached: they
 * compare what they observe with what this load really completed (`completedBetween`).
 */
export interface RunningLoad {
  /** Requests completed so far. */
  readonly sent: number;
  /** Requests completed within [fromMs, toMs] (epoch milliseconds). */
  completedBetween(fromMs: number, toMs: number): number;
  /** Completed requests per second over the last `windowMs` (or since the start, if shorter). */
  recentRate(windowMs: number): number;
  /** Milliseconds since the load started. */
  readonly runningMs: number;
  stop(): Promise<void>;
}

/** Batches of at most a tenth of the rate, so 200/s goes out as 20 every 100 ms and 1/s as 1 every second. */
function batchPlan(perSecond: number): { size: number; periodMs: number } {
  const size = Math.max(1, Math.ceil(perSecond / 10));
  return { size, periodMs: (size * 1000) / perSecond };
}

export function steadyLoad(request: () => Promise<unknown>, perSecond: number): RunningLoad {
  if (!(perSecond > 0)) throw new RangeError(`perSecond must be positive, got ${perSecond}`);
  const { size, periodMs } = batchPlan(perSecond);
  const startedAt = Date.now();
  const completions: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await Promise.all(
        Array.from({ length: size }, () =>
          request().then(
            () => completions.push(Date.now()),
            () => undefined, // a failed request is simply not counted as completed
          ),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - (Date.now() - started))));
    }
  })();
  const completedBetween = (fromMs: number, toMs: number) => completions.filter((t) => t >= fromMs && t <= toMs).length;
  return {
    get sent() {
      return completions.length;
    },
    get runningMs() {
      return Date.now() - startedAt;
    },
    completedBetween,
    recentRate(windowMs: number) {
      const now = Date.now();
      const span = Math.min(windowMs, now - startedAt);
      return span > 0 ? completedBetween(now - span, now) / (span / 1000) : 0;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
