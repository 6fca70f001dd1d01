/** Load for tests: `request` sent about `perSecond` times a second, in batches every 100 ms, until stopped. */
export interface RunningLoad {
  /** Requests completed so far. */
  readonly sent: number;
  stop(): Promise<void>;
}

export function steadyLoad(request: () => Promise<unknown>, perSecond: number): RunningLoad {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await Promise.all(Array.from({ length: Math.ceil(perSecond / 10) }, () => request().then(() => sent++)));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - started))));
    }
  })();
  return {
    get sent() {
      return sent;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
