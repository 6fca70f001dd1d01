/**
 * A real S3-compatible server for tests: SeaweedFS (`weed server -filer -s3`) of the test's own,
 * on loopback, free ports, data in a temp dir, with one identity (access key + secret) so every
 * request is really signed and checked (anonymous requests are refused). The binary is built once
 * per machine by scripts/ci/seaweedfs.sh (`.ci/run` runs it). Only this process is ever signalled.
 *
 *   const s3 = await startSeaweedFs();
 *   spawn(..., { env: { ...env, ...s3.env } });   // OBJECT_STORAGE=s3, S3_ENDPOINT, S3_BUCKET, …
 *   await s3.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { ConfigVariable } from '../core/config.js';
import { freePort } from '../core/ports.js';
import { eventually } from './eventually.js';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const REGION = 'us-east-1';

export interface SeaweedFs {
  /** The S3 API, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  region: string;
  /** Created at start; `createBucket` makes more. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** What a process needs to use this server as its object storage (core/config.ts variables). */
  env: Partial<Record<ConfigVariable, string>>;
  /** A client signed with the server's identity, for arranging and inspecting. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

/** Where scripts/ci/seaweedfs.sh keeps the binary (SEAWEEDFS_BIN overrides). */
export function seaweedFsBinary(): string {
  const path =
    process.env.SEAWEEDFS_BIN ?? execFileSync(join(REPO_ROOT, 'scripts/ci/seaweedfs.sh'), ['--print'], { encoding: 'utf8' }).trim();
  if (!existsSync(path))
    throw new Error(`SeaweedFS is not built: run scripts/ci/seaweedfs.sh (it builds ${path} from the Go module proxy)`);
  return path;
}

/** Every port `weed server` would otherwise take at its fixed defaults, each a free one. */
async function portFlags(): Promise<{ s3Port: number; flags: string[] }> {
  const names = [
    'master.port',
    'master.port.grpc',
    'volume.port',
    'volume.port.grpc',
    'filer.port',
    'filer.port.grpc',
    's3.port',
    's3.port.grpc',
  ];
  const ports = new Map<string, number>();
  for (const name of names) ports.set(name, await freePort());
  return { s3Port: ports.get('s3.port')!, flags: [...ports].map(([name, port]) => `-${name}=${port}`) };
}

/** Starts to try before giving up when a port picked free was taken before weed bound it. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * A SeaweedFS server (master, volume, filer, S3 gateway) on free loopback ports. Its ports are
 * picked free, then bound by weed seconds later: another test process can take one in between
 * (CI, 2026-12-05: the volume server's `bind: address already in use`). Then weed exits, and it is
 * started again on fresh ports.
 */
export async function startSeaweedFs(options: { bucket?: string } = {}): Promise<SeaweedFs> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= PORT_RACE_ATTEMPTS || !String(err).includes('address already in use')) throw err;
    }
  }
}

async function startOnce(options: { bucket?: string }): Promise<SeaweedFs> {
  const binary = seaweedFsBinary();
  const dir = mkdtempSync(join(tmpdir(), 'pp-seaweedfs-'));
  const accessKeyId = `pp${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  // The S3 gateway's static identities (its -s3.config file): this one may do everything.
  const identities = {
    identities: [
      {
        name: 'passplatform-test',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      },
    ],
  };
  writeFileSync(join(dir, 's3.json'), JSON.stringify(identities), { mode: 0o600 });
  mkdirSync(join(dir, 'data'));
  const { s3Port, flags } = await portFlags();
  const args = [
    'server',
    `-dir=${join(dir, 'data')}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    '-filer',
    '-s3',
    `-s3.config=${join(dir, 's3.json')}`,
    // Off: the Iceberg and Lance catalogs would take fixed ports.
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    // Small volumes and no limit on their count: a test writes megabytes, not the 30 GB default.
    '-master.volumeSizeLimitMB=64',
    '-volume.max=0',
    '-volume.preStopSeconds=0',
    ...flags,
  ];
  const logPath = join(dir, 'weed.log');
  writeFileSync(logPath, '');
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(binary, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const log = () => readFileSync(logPath, 'utf8');
  const endpoint = `http://127.0.0.1:${s3Port}`;
  const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });

  const stop = async () => {
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };

  const bucket = options.bucket ?? 'passplatform-test';
  const died = exited.then(() => {
    throw new Error(`weed server exited (${child.exitCode ?? child.signalCode}):\n${log().slice(-2000)}`);
  });
  try {
    // The gateway answers once master, volume and filer are up; the first bucket proves it works.
    const created = () =>
      createBucket(bucket).then(
        () => true,
        () => false,
      );
    await Promise.race([eventually(created, `SeaweedFS S3 on ${endpoint} to create a bucket`, 120_000), died]);
  } catch (err) {
    await stop();
    throw err;
  }
  died.catch(() => undefined);
  return {
    endpoint,
    region: REGION,
    bucket,
    accessKeyId,
    secretAccessKey,
    env: {
      OBJECT_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: REGION,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
    client,
    createBucket,
    log,
    stop,
  };
}
