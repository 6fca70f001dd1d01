/**
 * The Redis cluster Job's script, run for real: against six local redis-server nodes (three shards
 * with a replica each, on loopback addresses 127.0.1.N:6379 standing in for the StatefulSet's pod
 * names) it forms the cluster; with two more nodes and SHARDS=4 it grows and rebalances; with
 * SHARDS=3 again it drains the fourth shard and removes its nodes. Data survives every step.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { REDIS_CLUSTER_SCRIPT } from './redis-cluster-script.js';

const PASSWORD = 'cluster-test-password';
const address = (i: number) => `127.0.1.${i}`;
const dir = mkdtempSync(join(tmpdir(), 'pp-redis-script-'));
const nodes = new Map<number, ChildProcess>();

function startNode(i: number): void {
  const nodeDir = join(dir, String(i));
  mkdirSync(nodeDir, { recursive: true });
  nodes.set(
    i,
    spawn(
      'redis-server',
      [
        '--bind',
        address(i),
        '--port',
        '6379',
        '--cluster-enabled',
        'yes',
        '--cluster-announce-ip',
        address(i),
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
        '--requirepass',
        PASSWORD,
        '--masterauth',
        PASSWORD,
        '--dir',
        nodeDir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
}

function info(i: number): Record<string, string> {
  const out = spawnSync('redis-cli', ['--no-auth-warning', '-a', PASSWORD, '-h', address(i), 'cluster', 'info'], {
    encoding: 'utf8',
  }).stdout;
  return Object.fromEntries(
    out
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => l.split(':') as [string, string]),
  );
}

function runScript(shards: number, replicasPerShard: number): void {
  const result = spawnSync('sh', ['-c', REDIS_CLUSTER_SCRIPT], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      SHARDS: String(shards),
      REPLICAS_PER_SHARD: String(replicasPerShard),
      REDIS_PASSWORD: PASSWORD,
      NODE_ADDRESS_FORMAT: '127.0.1.%d',
    },
  });
  assert.equal(result.status, 0, `script failed:\n${result.stdout}\n${result.stderr}`);
}

async function withCluster<T>(use: (c: Cluster) => Promise<T>): Promise<T> {
  const cluster = new Cluster([{ host: address(0), port: 6379 }], { redisOptions: { password: PASSWORD } });
  try {
    return await use(cluster);
  } finally {
    cluster.disconnect();
  }
}

after(() => {
  for (const child of nodes.values()) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the Redis cluster script', () => {
  it('forms, grows and shrinks the cluster without losing data', { timeout: 300_000 }, async () => {
    for (let i = 0; i < 6; i++) startNode(i);
    runScript(3, 1);
    assert.equal(info(0).cluster_state, 'ok');
    assert.equal(info(0).cluster_size, '3');
    assert.equal(info(0).cluster_known_nodes, '6');

    const keys = Array.from({ length: 300 }, (_, i) => `student:${i}`);
    await withCluster(async (c) => {
      for (const key of keys) await c.set(key, key.toUpperCase());
    });

    startNode(6);
    startNode(7);
    runScript(4, 1);
    assert.equal(info(0).cluster_size, '4', 'four shards hold slots');
    assert.equal(info(0).cluster_known_nodes, '8');

    runScript(3, 1);
    assert.equal(info(0).cluster_state, 'ok');
    assert.equal(info(0).cluster_size, '3', 'the fourth shard was drained');
    assert.equal(info(0).cluster_known_nodes, '6', 'and its nodes forgotten');

    const values = await withCluster((c) => Promise.all(keys.map((k) => c.get(k))));
    assert.deepEqual(
      values,
      keys.map((k) => k.toUpperCase()),
    );
  });
});
