/**
 * The primary's probe against the real Postgres: it keeps one backend across probes instead of
 * opening one per probe, survives the server ending that backend, fails while the server's replies
 * are held back (a hung server) and recovers on a new connection once they flow again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ADMIN_URL } from '../testing/db.js';
import { eventually } from '../testing/eventually.js';
import { ReplyDelayingProxy } from '../testing/reply-delaying-proxy.js';
import { withDeadline } from './breaker.js';
import { PostgresProbe } from './postgres-probe.js';

const DEADLINE_MS = 1_000;

describe('the Postgres probe', () => {
  const applicationName = `probe-test-${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });

  /** The server backends this test's probe holds now. */
  async function probeBackends(): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [applicationName]);
    return rows.map((r) => r.pid);
  }

  before(() => admin.connect());
  after(() => admin.end());

  it('keeps one backend across probes', async () => {
    const probe = new PostgresProbe({ url: ADMIN_URL, deadlineMs: DEADLINE_MS, applicationName });
    try {
      await probe.probe();
      const first = await probeBackends();
      assert.equal(first.length, 1);
      for (let i = 0; i < 5; i++) await probe.probe();
      assert.deepEqual(await probeBackends(), first, 'the same backend answered every probe');
    } finally {
      probe.close();
    }
  });

  it('answers on a new backend when the server ended the kept one', async () => {
    const probe = new PostgresProbe({ url: ADMIN_URL, deadlineMs: DEADLINE_MS, applicationName });
    try {
      await probe.probe();
      const [ended] = await probeBackends();
      await admin.query('select pg_terminate_backend($1)', [ended]);
      await probe.probe();
      const now = await probeBackends();
      assert.equal(now.length, 1);
      assert.notEqual(now[0], ended);
    } finally {
      probe.close();
    }
  });

  it('takes the kept backend’s answer that arrived while the process was held up, as the breaker runs it', async () => {
    const probe = new PostgresProbe({ url: ADMIN_URL, deadlineMs: DEADLINE_MS, applicationName });
    try {
      await probe.probe();
      const first = await probeBackends();
      // The query goes out now; then the event loop is held past the deadline (a CPU starved by
      // other processes), long enough for the server's answer to be waiting in the socket.
      const answered = withDeadline(probe.probe(), DEADLINE_MS, 'postgres probe');
      const heldUntil = Date.now() + 2.5 * DEADLINE_MS;
      while (Date.now() < heldUntil) {
        // busy: nothing else runs in this process
      }
      await answered;
      assert.deepEqual(await probeBackends(), first, 'the kept backend answered; it was not dropped as timed out');
    } finally {
      probe.close();
    }
  });

  describe('behind a proxy that can hold the server’s replies', () => {
    let proxy: ReplyDelayingProxy;
    let url: string;

    before(async () => {
      const admin = new URL(ADMIN_URL);
      proxy = await ReplyDelayingProxy.start({ host: admin.hostname, port: Number(admin.port || 5432) });
      const proxied = new URL(ADMIN_URL);
      proxied.port = new URL(proxy.url).port;
      url = proxied.toString();
    });
    after(() => proxy.stop());

    it('fails while replies are held back, and answers on a new connection once they flow', async () => {
      const probe = new PostgresProbe({ url, deadlineMs: DEADLINE_MS, applicationName });
      try {
        await probe.probe();
        const [held] = await probeBackends();
        proxy.holdReplies();
        await assert.rejects(probe.probe(), /did not answer within/);
        proxy.releaseReplies();
        await probe.probe();
        // The connection that timed out was ended (its backend leaves), not reused.
        await eventually(async () => {
          const now = await probeBackends();
          return now.length === 1 && now[0] !== held;
        }, 'one probe backend, not the one that timed out');
      } finally {
        probe.close();
      }
    });
  });

  it('fails when nothing answers at the address', async () => {
    // A port that was free a moment ago: connecting is refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = new URL(ADMIN_URL);
    closed.hostname = '127.0.0.1';
    closed.port = String(typeof address === 'object' && address ? address.port : 1);
    const probe = new PostgresProbe({ url: closed.toString(), deadlineMs: DEADLINE_MS, applicationName });
    await assert.rejects(probe.probe(), /ECONNREFUSED/);
    probe.close();
  });
});
