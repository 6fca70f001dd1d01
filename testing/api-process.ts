/**
 * Starts `api/main.ts` as a real child process for tests that must see whether the process
 * survives: a crash in the test's own process would take the test runner down with it instead of
 * failing one assertion.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnServiceProcess } from './service-process.js';

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | NodeJS.Signals | null>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns the API with `env` (a test environment's) and resolves once it logs that it listens. */
export async function spawnApiProcess(
  env: Record<string, string>,
  overrides: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<ApiProcess> {
  const started = await spawnServiceProcess(
    'api/main.ts',
    { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...overrides },
    'api listening',
    nodeFlags,
  );
  const { child, exited } = started;
  return {
    child,
    url: started.ready.url as string,
    exited,
    stderr: started.stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
