/**
 * Throw-away PostgreSQL clusters for tests: the machine's server binaries, `initdb` into a temp
 * dir, a free port, removed afterwards. As root they run as the `postgres` user (Postgres refuses
 * to run as root). Faults are injected into these only — never into the shared server on 5432.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/ports.js';

/** The directory of the server binaries (initdb, pg_ctl, pg_basebackup), if installed. */
export function postgresBinDir(): string | undefined {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    fromConfig.status === 0 ? fromConfig.stdout.trim() : '',
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort()
          .reverse()
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_basebackup')));
}

export interface PostgresTools {
  /** Runs a server binary (as `postgres` when we are root); throws with its output on failure. */
  run(cmd: string, args: string[]): void;
  /** A temp dir the server user owns. */
  scratchDir(prefix: string): string;
  /** Settings every throw-away cluster gets: loopback only, sockets in `dir`, no durability costs. */
  baseConfig(dir: string, port: number): string;
}

export function postgresTools(): PostgresTools {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found');
  const asRoot = userInfo().uid === 0;
  return {
    run(cmd, args) {
      const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
      const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
      if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
    },
    scratchDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      if (asRoot)
        chownSync(
          dir,
          Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
          Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
        );
      return dir;
    },
    baseConfig(dir, port) {
      return `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nport = ${port}\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n`;
    },
  };
}

export interface OwnPostgres {
  port: number;
  url(database: string): string;
  /** `pg_ctl stop -m fast`: sessions are ended, the server is gone until `start()`. */
  stopFast(): void;
  start(): void;
  /** Stops the server (immediate) and removes its data. */
  remove(): void;
}

export interface OwnPostgresOptions {
  /**
   * Every role but the superuser must give its password (scram-sha-256), as on a real cluster;
   * by default every connection is trusted.
   */
  passwordAuth?: boolean;
}

const PASSWORD_HBA = [
  'local all postgres trust',
  'host all postgres 127.0.0.1/32 trust',
  'host all all 127.0.0.1/32 scram-sha-256',
  '',
].join('\n');

/** One primary of the test's own on a free port, started. */
export async function startOwnPostgres(options: OwnPostgresOptions = {}): Promise<OwnPostgres> {
  const tools = postgresTools();
  const dir = tools.scratchDir('pp-own-pg-');
  const data = join(dir, 'data');
  const port = await freePort();
  let running = false;
  const start = () => {
    tools.run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', 'start']);
    running = true;
  };
  const stop = (mode: 'fast' | 'immediate') => {
    if (running) tools.run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    running = false;
  };
  try {
    tools.run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(join(data, 'postgresql.conf'), `${tools.baseConfig(dir, port)}max_connections = 200\n`);
    if (options.passwordAuth) writeFileSync(join(data, 'pg_hba.conf'), PASSWORD_HBA);
    start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stopFast: () => stop('fast'),
    start,
    remove() {
      try {
        stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
