/**
 * Starts one of the project's entry points (`api/main.ts`, `workers/main.ts`) as a real child
 * process, configured by its environment only, as a pod starts it, and resolves with the JSON log
 * line that says it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServiceProcess {
  child: ChildProcess;
  /** The parsed log line carrying the ready message. */
  ready: Record<string, unknown>;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Everything the process wrote to stderr so far (a crash's stack trace lands here). */
  stderr(): string;
}

export async function spawnServiceProcess(
  entry: string,
  env: Record<string, string | undefined>,
  readyMessage: string,
  nodeFlags: string[] = [],
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (line.includes(`"${readyMessage}"`)) resolve(JSON.parse(line) as Record<string, unknown>);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    void exited.then((how) => reject(new Error(`${entry} exited (${String(how)}) before it was ready: ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr };
}
