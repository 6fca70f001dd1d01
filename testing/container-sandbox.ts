/**
 * Runs a command of the runtime tree the way a container runtime runs the image (Dockerfile
 * `runtime` stage, pod securityContext): in a mount and PID namespace of its own, with a root
 * filesystem that is read-only (the host's /usr and /etc read-only, the tree at /app read-only),
 * writable only where the pod mounts a volume, as an unprivileged user, the command being PID 1.
 * The network is the host's: what the process reaches, it reaches on loopback (callers map the
 * cluster's Service addresses openly). Needs root (unshare, mount, chroot), as the kubelet does.
 *
 * Signals are sent to the container's PID 1 from outside, as the runtime does on `kill`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.js';

/** The image's non-root user is 10001; here it is nobody, a user that owns nothing on the host. */
export const SANDBOX_UID = 65534;

export interface SandboxMount {
  /** Path inside the container. */
  mountPath: string;
  /** Host directory mounted there. */
  hostDir: string;
  readOnly?: boolean;
}

export interface SandboxOptions {
  /** The runtime tree (testing/runtime-tree.ts), mounted read-only at `workingDir`. */
  tree: string;
  workingDir: string;
  /** argv of the container (command + args). */
  command: string[];
  /** The container's whole environment: nothing of the test's own environment leaks in. */
  env: Record<string, string>;
  mounts: SandboxMount[];
}

export interface SandboxedProcess {
  child: ChildProcess;
  /** Host pid of the container's PID 1 (the command itself). */
  pid(): Promise<number>;
  /** SIGTERM (or `signal`) to the container's PID 1. */
  signal(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
  /** Exit code of the container's PID 1 (unshare passes it on). */
  exited: Promise<number | null>;
}

/** A fresh directory a volume is made of (an emptyDir): owned by the container's user. */
export function emptyDir(prefix = 'pp-empty-dir-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chownSync(dir, SANDBOX_UID, SANDBOX_UID);
  chmodSync(dir, 0o770);
  return dir;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The shell script run inside the new namespaces: builds the root, then execs the command in it. */
function setupScript(root: string, options: SandboxOptions): string {
  const bindReadOnly = (from: string, to: string) => `mount --bind ${quote(from)} ${quote(to)} && mount -o remount,bind,ro ${quote(to)}`;
  const lines = [
    'set -e',
    `mount -t tmpfs -o mode=755 tmpfs ${quote(root)}`,
    `cd ${quote(root)}`,
    'mkdir -p usr etc dev proc',
    'ln -s usr/bin bin && ln -s usr/lib lib && ln -s usr/lib64 lib64 && ln -s usr/sbin sbin',
    bindReadOnly('/usr', `${root}/usr`),
    bindReadOnly('/etc', `${root}/etc`),
    `mount --rbind /dev ${quote(`${root}/dev`)}`,
    `mount -t proc proc ${quote(`${root}/proc`)}`,
    `mkdir -p ${quote(`${root}${options.workingDir}`)}`,
    bindReadOnly(options.tree, `${root}${options.workingDir}`),
  ];
  for (const mount of options.mounts) {
    const target = `${root}${mount.mountPath}`;
    lines.push(`mkdir -p ${quote(target)}`);
    lines.push(mount.readOnly ? bindReadOnly(mount.hostDir, target) : `mount --bind ${quote(mount.hostDir)} ${quote(target)}`);
  }
  // Mount points are made; now the root itself turns read-only (readOnlyRootFilesystem).
  lines.push(`mount -o remount,ro ${quote(root)}`);
  lines.push(
    `exec chroot ${quote(root)} setpriv --reuid=${SANDBOX_UID} --regid=${SANDBOX_UID} --clear-groups --no-new-privs ` +
      `env -i -C ${quote(options.workingDir)} "$@"`,
  );
  return lines.join('\n');
}

/** Children of a process, from /proc (the container's PID 1 is unshare's only child). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function runSandboxed(options: SandboxOptions): SandboxedProcess {
  const root = mkdtempSync(join(tmpdir(), 'pp-container-root-'));
  const envArgs = Object.entries(options.env).map(([name, value]) => `${name}=${value}`);
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--pid',
      '--fork',
      '--',
      'sh',
      '-c',
      setupScript(root, options),
      'sandbox',
      ...envArgs,
      ...options.command,
    ],
    { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      rmSync(root, { recursive: true, force: true });
      resolve(code);
    }),
  );
  let pid1: number | undefined;
  const pid = async () => {
    if (pid1 === undefined) {
      await eventually(async () => childrenOf(child.pid ?? -1).length > 0 || child.exitCode !== null, 'the container’s PID 1', 30_000);
      const [first] = childrenOf(child.pid ?? -1);
      if (first === undefined) throw new Error(`the container exited before its PID 1 was seen:\n${text}`);
      pid1 = first;
    }
    return pid1;
  };
  return {
    child,
    pid,
    async signal(signal = 'SIGTERM') {
      if (child.exitCode !== null) return;
      process.kill(await pid(), signal);
    },
    output: () => text,
    exited,
  };
}
