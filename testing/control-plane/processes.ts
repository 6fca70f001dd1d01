/**
 * The control plane's processes: each started with its output in a log file (read when it fails
 * to come up), stopped with SIGTERM and, after a grace period, SIGKILL. A process that should
 * outlive its starter (`npm run cluster -- up`) is started detached and stopped later by pid.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Component {
  name: string;
  pid: number;
  logFile: string;
}

export interface StartOptions {
  /** Survive the starting process (a CLI that returns while the cluster keeps running). */
  detached?: boolean;
}

export function startComponent(name: string, command: string, args: string[], logDir: string, options: StartOptions = {}): Component {
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      stdio: ['ignore', out, out],
      detached: options.detached ?? false,
    });
    if (child.pid === undefined) throw new Error(`${name} did not start (${command})`);
    child.on('error', () => undefined);
    if (options.detached) child.unref();
    return { name, pid: child.pid, logFile };
  } finally {
    closeSync(out);
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopComponent(component: Component, graceMs = 10_000): Promise<void> {
  if (!isRunning(component.pid)) return;
  process.kill(component.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(component.pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(component.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Node reaps its own children on SIGCHLD, between these turns of the loop.
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last lines of a component's log, for an error message that says why it did not come up. */
export function logTail(component: Component, lines = 30): string {
  try {
    return readFileSync(component.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
