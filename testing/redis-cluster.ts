/**
 * A real Redis Cluster for tests: three masters (`redis-server --cluster-enabled yes`) on free
 * ports, joined with `redis-cli --cluster create`, removed afterwards. Slow-ish (a second or two),
 * so only the tests that prove cluster safety use it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/ports.js';

export interface RedisCluster {
  /** host:port seeds, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  stop(): Promise<void>;
}

function cli(args: string[], password?: string): string {
  const auth = password ? ['-a', password, '--no-auth-warning'] : [];
  const result = spawnSync('redis-cli', [...auth, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (result.error) throw result.error;
  return `${result.stdout}${result.stderr}`;
}

export interface RedisClusterOptions {
  /** Every node requires it (requirepass) and the nodes use it with each other (masterauth). */
  password?: string;
}

export async function startRedisCluster(masters = 3, options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { password } = options;
  const dir = mkdtempSync(join(tmpdir(), 'pp-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await freePort();
    ports.push(port);
    const nodeDir = join(dir, String(port));
    spawnSync('mkdir', ['-p', nodeDir]);
    children.push(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--dir',
          nodeDir,
          '--save',
          '',
          '--appendonly',
          'no',
          ...(password ? ['--requirepass', password, '--masterauth', password] : []),
        ],
        { stdio: 'ignore' },
      ),
    );
  }
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) =>
            child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')),
          ),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let i = 0; !cli(['-p', String(port), 'ping'], password).includes('PONG'); i++) {
        if (i > 100) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const out = cli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], password);
    if (!out.includes('All 16384 slots covered')) throw new Error(`cluster create failed: ${out}`);
    for (let i = 0; !ports.every((p) => cli(['-p', String(p), 'cluster', 'info'], password).includes('cluster_state:ok')); i++) {
      if (i > 200) throw new Error('the cluster did not become ready');
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`), stop };
}
