/**
 * A real primary/standby pair for tests: a throw-away PostgreSQL cluster (initdb) and a streaming
 * replica of it (pg_basebackup -R), on free ports, in a temp dir, both removed afterwards. Uses the
 * machine's PostgreSQL server binaries; as root they run as the `postgres` user (Postgres refuses
 * to run as root).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/ports.js';

export interface ReplicatedPostgres {
  primaryUrl(database: string): string;
  standbyUrl(database: string): string;
  stop(): void;
}

/** The directory of the server binaries (initdb, pg_ctl, pg_basebackup), if installed. */
export function postgresBinDir(): string | undefined {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [fromConfig.status === 0 ? fromConfig.stdout.trim() : '', ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : [])];
  return candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_basebackup')));
}


export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_basebackup) not found');
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'pp-pg-replica-'));
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  const primaryDir = join(dir, 'primary');
  const standbyDir = join(dir, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const started: string[] = [];
  const stop = () => {
    for (const data of started.reverse()) spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(primaryDir + '/pg_hba.conf', 'host replication all 127.0.0.1/32 trust\n');
    const common = `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n`;
    appendFileSync(primaryDir + '/postgresql.conf', `${common}port = ${primaryPort}\nwal_level = replica\nmax_wal_senders = 4\n`);
    run('pg_ctl', ['-D', primaryDir, '-l', join(dir, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '--no-sync']);
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
