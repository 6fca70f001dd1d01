/**
 * A real primary/standby pair for tests: a throw-away PostgreSQL cluster (initdb) and a streaming
 * replica of it (pg_basebackup -R), on free ports, in a temp dir, both removed afterwards. Uses the
 * machine's PostgreSQL server binaries; as root they run as the `postgres` user (Postgres refuses
 * to run as root).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/ports.js';
import { postgresBinDir, postgresTools } from './postgres-server.js';

export interface ReplicatedPostgres {
  primaryUrl(database: string): string;
  standbyUrl(database: string): string;
  stop(): void;
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const tools = postgresTools();
  const bin = postgresBinDir()!;
  const asRoot = userInfo().uid === 0;
  const run = tools.run;
  const dir = tools.scratchDir('pp-pg-replica-');
  const primaryDir = join(dir, 'primary');
  const standbyDir = join(dir, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const started: string[] = [];
  const stop = () => {
    for (const data of started.reverse())
      spawnSync(
        asRoot ? 'runuser' : join(bin, 'pg_ctl'),
        asRoot
          ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']
          : ['-D', data, '-m', 'immediate', 'stop'],
      );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(primaryDir + '/pg_hba.conf', 'host replication all 127.0.0.1/32 trust\n');
    appendFileSync(primaryDir + '/postgresql.conf', `${tools.baseConfig(dir, primaryPort)}wal_level = replica\nmax_wal_senders = 4\n`);
    run('pg_ctl', ['-D', primaryDir, '-l', join(dir, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      standbyDir,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    appendFileSync(standbyDir + '/postgresql.conf', `port = ${standbyPort}\nhot_standby = on\n`);
    run('pg_ctl', ['-D', standbyDir, '-l', join(dir, 'standby.log'), '-w', 'start']);
    started.push(standbyDir);
  } catch (err) {
    stop();
    throw err;
  }
  return {
    primaryUrl: (database) => `postgres://postgres@127.0.0.1:${primaryPort}/${database}`,
    standbyUrl: (database) => `postgres://postgres@127.0.0.1:${standbyPort}/${database}`,
    stop,
  };
}
