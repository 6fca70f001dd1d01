/** What a test file starts once for all its tests, held between its `before` and `after` hooks. */
import { after, before } from 'node:test';

/**
 * Runs `start` before the file's tests; what it registers with `onEnd` runs after them, last
 * registered first, so a start that failed half-way still stops what it had started. The returned
 * function reads what `start` made. Call it at the top of a file or a `describe`.
 */
export function heldForTheFile<T>(what: string, start: (onEnd: (step: () => Promise<unknown>) => void) => Promise<T>): () => T {
  let held: T | undefined;
  const endSteps: (() => Promise<unknown>)[] = [];
  before(async () => {
    held = await start((step) => endSteps.unshift(step));
  });
  after(async () => {
    for (const step of endSteps) await step();
  });
  return () => {
    if (held === undefined) throw new Error(`${what} is read before its before() hook ran`);
    return held;
  };
}

/** An object whose `keys` read, each time, the same properties of what `ready()` returns. */
export function readThrough<T extends object, K extends keyof T>(ready: () => T, keys: readonly K[]): Pick<T, K> {
  const view = {} as Pick<T, K>;
  for (const key of keys) Object.defineProperty(view, key, { get: () => ready()[key], enumerable: true });
  return view;
}
