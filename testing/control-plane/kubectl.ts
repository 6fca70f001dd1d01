/**
 * kubectl and helm as a platform team runs them, for tests: the real binaries from the cache,
 * against a control plane's kubeconfig, with their exit code and both streams kept so a test can
 * assert on what a person would read.
 */
import { spawn } from 'node:child_process';
import { binary } from './binaries.js';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the command's stdin (e.g. a manifest for `-f -`). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed after this long; generous, the machine is shared (default 2 minutes). */
  timeoutMs?: number;
}

export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a tool and returns its stdout; a non-zero exit throws with the command and its stderr. */
async function succeed(tool: 'kubectl' | 'helm', kubeconfig: string, args: string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(binary(tool), ['--kubeconfig', kubeconfig, ...args], options);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

export const kubectl = (kubeconfig: string, args: string[], options: CommandOptions = {}) =>
  runCommand(binary('kubectl'), ['--kubeconfig', kubeconfig, ...args], options);
export const kubectlOk = (kubeconfig: string, args: string[], options: CommandOptions = {}) =>
  succeed('kubectl', kubeconfig, args, options);
export const helmOk = (kubeconfig: string, args: string[], options: CommandOptions = {}) => succeed('helm', kubeconfig, args, options);
