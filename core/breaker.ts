/**
 * One circuit breaker per dependency (Postgres, Redis), on cockatiel's state machine. Every call
 * to the dependency passes through it: a few consecutive failures (errors that say the server is
 * unreachable or did not answer in time, never errors about the request itself) open it, and
 * then calls fail at once with `DependencyUnavailableError` instead of each waiting for its own
 * deadline. After `halfOpenAfterMs` one trial call goes through; its success closes the breaker.
 *
 * A probe (a trivial command with its own deadline) runs through the breaker all the time, so a
 * hung dependency is noticed without traffic and its return is noticed within one probe interval
 * of the half-open delay. Readiness reads `isAvailable`, so it never waits on a hung server.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { METRIC } from './metric-names.js';

export type DependencyName = 'postgres' | 'redis' | 'access-log-spill';

/** Thrown instead of calling a dependency whose breaker is open; the API answers 503. */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
  constructor(readonly dependency: DependencyName) {
    super(`${dependency} is unavailable (circuit open)`);
  }
}

/** A call that did not finish within its deadline. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

export interface DependencyBreakerOptions {
  /** Which errors mean the dependency is down (as opposed to a bad request). */
  isOutage(err: unknown): boolean;
  /** Consecutive outage errors that open the breaker. */
  failuresToOpen: number;
  /** How long an open breaker refuses calls before letting a trial through. */
  halfOpenAfterMs: number;
  logger?: Logger;
}

const STATE_NAMES: Record<CircuitState, 'closed' | 'open' | 'half_open' | 'isolated'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

export class DependencyBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(available: boolean) => void>();

  constructor(
    readonly dependency: DependencyName,
    private readonly options: DependencyBreakerOptions,
  ) {
    this.policy = circuitBreaker(handleWhen(options.isOutage), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.failuresToOpen),
    });
    this.policy.onBreak(() => {
      options.logger?.warn({ dependency }, 'dependency circuit opened: failing calls fast');
      for (const listener of this.listeners) listener(false);
    });
    this.policy.onReset(() => {
      options.logger?.info({ dependency }, 'dependency circuit closed: dependency is back');
      for (const listener of this.listeners) listener(true);
    });
  }

  /** False while the breaker is open (or half-open, waiting for its trial call to succeed). */
  get isAvailable(): boolean {
    return this.policy.state === CircuitState.Closed;
  }

  get state(): 'closed' | 'open' | 'half_open' | 'isolated' {
    return STATE_NAMES[this.policy.state];
  }

  /** Runs `fn` through the breaker; refused at once with DependencyUnavailableError while open. */
  async execute<T>(fn: () => PromiseLike<T> | T): Promise<T> {
    try {
      return await this.policy.execute(() => fn());
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw new DependencyUnavailableError(this.dependency);
      throw err;
    }
  }

  /** Counts a failure observed outside `execute` (e.g. a pool that could not connect). */
  recordFailure(err: unknown): void {
    this.policy.execute(() => Promise.reject(err)).catch(() => undefined);
  }

  /** Counts a success observed outside `execute` (it resets the run of consecutive failures). */
  recordSuccess(): void {
    if (this.isAvailable) this.policy.execute(() => undefined).catch(() => undefined);
  }

  /** Called with `false` when the breaker opens and `true` when it closes again. */
  onAvailabilityChange(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Probes the dependency every `intervalMs` through the breaker, each probe bounded by
   * `deadlineMs`. The probe must use a connection of its own that does not itself pass through
   * this breaker (a nested call would be refused while the probe holds the half-open trial).
   */
  startProbe(probe: () => Promise<unknown>, intervalMs: number, deadlineMs: number): void {
    if (this.probeTimer) return;
    let running = false;
    this.probeTimer = setInterval(() => {
      if (running) return;
      running = true;
      this.execute(() => withDeadline(probe(), deadlineMs, `${this.dependency} probe`))
        .catch(() => undefined)
        .finally(() => (running = false));
    }, intervalMs);
    this.probeTimer.unref();
  }

  stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }
}

/** Exports whether each dependency's breaker lets calls through (one gauge for all of them). */
export function exportDependencyAvailability(registry: Registry, breakers: DependencyBreaker[]): void {
  new Gauge({
    name: METRIC.dependencyAvailable,
    help: 'Whether calls to a dependency pass: 1 while its circuit breaker is closed, 0 while open or half-open.',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      for (const breaker of breakers) this.set({ dependency: breaker.dependency }, breaker.isAvailable ? 1 : 0);
    },
  });
}

/**
 * Calls `onMissed` when `ms` have passed and the process has since read what its sockets hold;
 * returns the cancel.
 *
 * Node runs due timers at the start of each event-loop turn, before it reads the sockets. After the
 * loop was held up for longer than `ms` (a long synchronous task, a GC pause, a CPU starved by other
 * processes), a plain timer therefore fires for answers sitting unread in a socket: a dependency that
 * answered in time looks hung, and two such probes open its breaker. The expired timer only
 * schedules `onMissed` for after the next poll phase (`setImmediate`), so whatever arrived is parsed
 * first; an answer that really did not come is still missed one turn later.
 */
export function onDeadlineMissed(ms: number, onMissed: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(onMissed)), ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/** Rejects with DeadlineExceededError when `promise` has not settled within `ms` (see onDeadlineMissed). */
export async function withDeadline<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let cancel: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (cancel = onDeadlineMissed(ms, () => reject(new DeadlineExceededError(what, ms))))),
    ]);
  } finally {
    cancel?.();
  }
}
