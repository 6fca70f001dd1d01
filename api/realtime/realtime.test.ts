/**
 * The real-time endpoints across two real API processes (started as pods start them) on the
 * shared Redis and a per-file database: a message published on one pod reaches a client held by
 * the other; channels are authorised like their REST routes; expiry and revocation close sockets;
 * resume delivers what was missed exactly once; a slow consumer is cut off alone; SIGTERM drains.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../core/logger.js';
import { RealtimePublisher } from '../../core/realtime/publisher.js';
import { closeRedis, createRedis, type RedisClient } from '../../core/redis.js';
import { TEST_PASSWORD, call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { CHANNELS, CHANNEL_NAMES } from './channels.js';
import { CLOSE } from './close-codes.js';
import { spawnApiProcess, type ApiProcess } from '../../testing/api-process.js';
import { TestSocket, gateVerdictAt, wsUrlOf } from '../../testing/realtime-client.js';

describe('real-time notifications and feeds', () => {
  let env: TestEnvironment;
  let podA: ApiProcess;
  let podB: ApiProcess;
  let redis: RedisClient;
  let publisher: RealtimePublisher;
  let staff: string;
  let security: string;
  const sockets: TestSocket[] = [];
  const processes: ApiProcess[] = [];

  async function pod(overrides: Record<string, string> = {}): Promise<ApiProcess> {
    const started = await spawnApiProcess(env.env, overrides);
    processes.push(started);
    return started;
  }

  async function socket(...args: Parameters<typeof TestSocket.open>): Promise<TestSocket> {
    const opened = await TestSocket.open(...args);
    sockets.push(opened);
    return opened;
  }

  /** Two security desks on the gate feed of `api`, both welcomed: one the test stops reading, one that keeps up. */
  async function twoGateDesks(api: ApiProcess): Promise<[TestSocket, TestSocket]> {
    const desks = await Promise.all([0, 1].map(() => socket(wsUrlOf(api), security, { channels: 'gates' })));
    await Promise.all(desks.map((desk) => desk.welcomed()));
    return [desks[0]!, desks[1]!];
  }

  /** Waits until `api` has counted one disconnect for `reason`, then asserts one socket is left open. */
  async function afterOneDisconnect(api: ApiProcess, reason: string, awaited: string): Promise<void> {
    const disconnected = new RegExp(`passplatform_realtime_disconnects_total\\{reason="${reason}"[^}]*\\} 1\\b`);
    const metrics = await eventually(async () => {
      const text = (await call(api.url, 'GET', '/metrics')).body as string;
      return disconnected.test(text) ? text : undefined;
    }, awaited);
    assert.match(metrics, /passplatform_realtime_connections\{transport="ws"[^}]*\} 1\b/, `only the ${reason} socket was closed`);
  }

  async function newStudent(): Promise<{ studentId: string; token: string; refreshToken: string; userId: string }> {
    const n = randomBytes(3).toString('hex');
    const [row] = (await env
      .knex('students')
      .insert({
        student_id: `RT${parseInt(n, 16)}`,
        first_name: 'Rhea',
        last_name: `T${n}`,
        email: `rhea-${n}@university.edu`,
        programme: 'physics',
        year_of_study: 1,
        status: 'active',
      })
      .returning('id')) as { id: string }[];
    const user = await env.createUser('student', { studentRef: row!.id });
    const session = await env.login(user.email);
    return { studentId: row!.id, userId: user.id, ...session };
  }

  const issuePass = async (on: ApiProcess, studentId: string) => {
    const res = await call(on.url, 'POST', '/passes', {
      token: staff,
      body: { studentId, validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString() },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; code: string };
  };

  before(async () => {
    env = await createTestEnvironment('realtime');
    [podA, podB] = await Promise.all([pod(), pod()]);
    redis = createRedis({ url: env.env.REDIS_URL });
    publisher = new RealtimePublisher({
      redis,
      keyPrefix: env.prefix,
      historyLength: 100,
      historyTtlSeconds: 3600,
      logger: createLogger('test', 'silent'),
    });
    staff = await env.tokenFor('staff');
    security = await env.tokenFor('security');
  });
  after(async () => {
    for (const s of sockets) s.ws.terminate();
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await closeRedis(redis);
    await env.teardown();
  });

  it('a pass issued through one pod reaches the student connected to the other, and only that student', async () => {
    const student = await newStudent();
    const bystander = await newStudent();
    const mine = await socket(wsUrlOf(podB), student.token, { via: 'subprotocol' });
    const theirs = await socket(wsUrlOf(podB), bystander.token, { via: 'message' });
    await Promise.all([mine.welcomed(), theirs.welcomed()]);
    assert.equal(mine.ws.protocol, 'passplatform.v1', 'the server selects our protocol, never echoes the bearer one');

    const pass = await issuePass(podA, student.studentId);
    const received = await mine.waitFor((m) => m.event === 'pass.issued', 'the pass.issued notification');
    assert.equal(received.channel, 'notifications');
    assert.equal(received.data.passId, pass.id);
    assert.match(received.id, /^\d+-\d+$/);
    await issuePass(podA, bystander.studentId);
    await theirs.waitFor((m) => m.event === 'pass.issued', "the bystander's own notification");
    assert.equal(mine.events('pass.issued').length, 1, "the student never sees another student's notification");
  });

  it('the gate feed carries each verdict to security on another pod, without personal data', async () => {
    const student = await newStudent();
    const pass = await issuePass(podA, student.studentId);
    const desk = await socket(wsUrlOf(podB), security, { channels: 'gates' });
    await desk.welcomed();
    const verify = await call(podA.url, 'POST', '/passes/verify', {
      token: security,
      body: { code: pass.code, gate: 'main-gate', direction: 'entry' },
    });
    assert.equal(verify.status, 200);
    const verdict = await desk.waitFor((m) => m.event === 'gate.verdict' && m.data.passId === pass.id, 'the verdict');
    assert.deepEqual(Object.keys(verdict.data).sort(), [
      'checkedAt',
      'degraded',
      'direction',
      'gate',
      'passId',
      'passType',
      'reason',
      'valid',
    ]);
    assert.equal(verdict.data.valid, true);
    assert.equal(verdict.data.gate, 'main-gate');
  });

  it('analytics totals reach staff dashboards', async () => {
    const dashboard = await socket(wsUrlOf(podA), staff, { channels: 'analytics' });
    await dashboard.welcomed();
    const student = await newStudent();
    const pass = await issuePass(podB, student.studentId);
    await call(podB.url, 'POST', '/passes/verify', { token: security, body: { code: pass.code, gate: 'north', direction: 'entry' } });
    const totals = await dashboard.waitFor(
      (m) => m.event === 'analytics.counters' && (m.data.counters['verifications.valid'] ?? 0) >= 1,
      'totals with the verification',
    );
    assert.equal(totals.data.day, new Date(totals.at as number).toISOString().slice(0, 10));
  });

  it('authorises each channel as its REST route: a forbidden channel closes with 4403, anonymous with 4401', async () => {
    const student = await newStudent();
    for (const [channel, expected] of [
      ['gates', CLOSE.FORBIDDEN.code],
      ['analytics', CLOSE.FORBIDDEN.code],
      ['nonsense', CLOSE.BAD_MESSAGE.code],
    ] as const) {
      const refused = await socket(wsUrlOf(podA), student.token, { channels: channel });
      assert.equal((await refused.closed).code, expected, channel);
    }
    const staffOnGates = await socket(wsUrlOf(podA), staff, { channels: 'gates' });
    assert.equal((await staffOnGates.closed).code, CLOSE.FORBIDDEN.code, 'staff may not verify passes, so may not watch the gates');

    const anonymous = await socket(wsUrlOf(podA), undefined, { via: 'none' });
    assert.equal((await anonymous.closed).code, CLOSE.UNAUTHORIZED.code, 'no auth message before the deadline');
    const forged = await socket(wsUrlOf(podA), `${staff.slice(0, -4)}AAAA`);
    assert.equal((await forged.closed).code, CLOSE.UNAUTHORIZED.code);

    const sse = await fetch(`${podA.url}/realtime/events?channels=gates`, { headers: { authorization: `Bearer ${student.token}` } });
    assert.equal(sse.status, 403);
    assert.equal(((await sse.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
    assert.equal((await fetch(`${podA.url}/realtime/events`)).status, 401);
  });

  it('resume after a reconnect delivers what was missed, once, in order, also across pods and over SSE', async () => {
    const student = await newStudent();
    const first = await socket(wsUrlOf(podA), student.token);
    await first.welcomed();
    await publisher.notifyUsers([student.userId], 'upload.ready', { uploadId: randomUUID() });
    await first.waitFor((m) => m.event === 'upload.ready', 'the first notification');
    const cursor = first.cursor();
    first.close();
    await first.closed;

    const missed = Array.from({ length: 5 }, () => randomUUID());
    for (const uploadId of missed) await publisher.notifyUsers([student.userId], 'upload.ready', { uploadId });
    const resumed = await socket(wsUrlOf(podB), student.token, { resume: cursor });
    await resumed.welcomed();
    // One more while connected: it must come once, after the replayed ones.
    const live = randomUUID();
    await publisher.notifyUsers([student.userId], 'upload.ready', { uploadId: live });
    await resumed.waitFor((m) => m.data?.uploadId === live, 'the live notification');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      resumed.events().map((m) => m.data.uploadId),
      [...missed, live],
    );
    assert.equal(resumed.messages.filter((m) => m.type === 'gap').length, 0);

    // The same resume over SSE, with Last-Event-ID as a browser's EventSource sends it.
    const controller = new AbortController();
    const sse = await fetch(`${podA.url}/realtime/events`, {
      headers: { authorization: `Bearer ${student.token}`, 'last-event-id': cursor },
      signal: controller.signal,
    });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    await eventually(async () => {
      const { value } = await reader.read();
      text += value ?? '';
      return text.includes(live);
    }, 'the SSE replay');
    controller.abort();
    const ids = [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
    const uploads = [...text.matchAll(/^data: (.*)$/gm)]
      .map((m) => JSON.parse(m[1]!) as { event?: string; data?: { uploadId?: string } })
      .filter((m) => m.event === 'upload.ready');
    assert.deepEqual(
      uploads.map((m) => m.data?.uploadId),
      [...missed, live],
    );
    assert.match(ids.at(-1)!, /^notifications:\d+-\d+$/, 'each event id is the resume cursor');
  });

  it('closes the socket when the access token expires, unless a fresh token was sent in time', async () => {
    // Long enough that a login (Argon2id: seconds on a busy machine) and a connect fit in one
    // token's life; the renewal is a refresh, which checks no password.
    const shortLived = await pod({ ACCESS_TOKEN_TTL_SECONDS: '6' });
    const user = await env.createUser('staff');
    const loginThere = async () =>
      (await call(shortLived.url, 'POST', '/auth/login', { body: { email: user.email, password: TEST_PASSWORD } })).body.data as {
        token: string;
        refreshToken: string;
      };

    const lapsing = await socket(wsUrlOf(shortLived), (await loginThere()).token);
    const lapsingExpiry = Date.parse((await lapsing.welcomed()).expiresAt as string);
    const session = await loginThere();
    const renewed = await socket(wsUrlOf(shortLived), session.token);
    const firstExpiry = Date.parse((await renewed.welcomed()).expiresAt as string);
    // A token issued a second later expires a second later.
    await new Promise((r) => setTimeout(r, 1_100));
    const refreshed = await call(shortLived.url, 'POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    renewed.send({ type: 'auth', token: refreshed.body.data.token as string });
    const secondExpiry = Date.parse((await renewed.waitFor((m) => m.type === 'authenticated', 'the renewal')).expiresAt as string);
    assert.ok(secondExpiry > firstExpiry);

    const lapsed = await lapsing.closed;
    assert.equal(lapsed.code, CLOSE.TOKEN_EXPIRED.code);
    assert.match(lapsed.reason, /^TOKEN_EXPIRED/);
    assert.ok(lapsed.at >= lapsingExpiry, 'never before the token expired');
    const later = await renewed.closed;
    assert.equal(later.code, CLOSE.TOKEN_EXPIRED.code);
    assert.ok(later.at >= secondExpiry, 'the renewed socket outlived its first token');

    const other = await env.createUser('staff');
    const stranger = (await env.login(other.email)).token;
    const hijack = await socket(wsUrlOf(shortLived), (await loginThere()).token);
    await hijack.welcomed();
    hijack.send({ type: 'auth', token: stranger });
    assert.equal((await hijack.closed).code, CLOSE.UNAUTHORIZED.code, "a socket cannot be carried over to another user's token");
    shortLived.child.kill('SIGTERM');
    assert.equal(await shortLived.exited, 0);
  });

  it("a logout on one pod closes the session's sockets on the other, and its token cannot reconnect", async () => {
    const student = await newStudent();
    const phone = await socket(wsUrlOf(podB), student.token);
    const laptop = await socket(wsUrlOf(podA), student.token, { channels: 'notifications' });
    await Promise.all([phone.welcomed(), laptop.welcomed()]);
    assert.equal((await call(podA.url, 'POST', '/auth/logout', { token: student.token })).status, 204);
    for (const closed of await Promise.all([phone.closed, laptop.closed])) {
      assert.equal(closed.code, CLOSE.SESSION_REVOKED.code);
    }
    const again = await socket(wsUrlOf(podB), student.token);
    assert.equal((await again.closed).code, CLOSE.SESSION_REVOKED.code, 'the access token has not expired, but its session has ended');
    const sse = await fetch(`${podB.url}/realtime/events`, { headers: { authorization: `Bearer ${student.token}` } });
    assert.equal(sse.status, 401);
  });

  it('cuts off a consumer that stops reading, and the others receive everything', async () => {
    const tight = await pod({ REALTIME_MAX_BUFFERED_BYTES: '65536' });
    const [slow, fast] = await twoGateDesks(tight);
    slow.ws.pause();
    const count = 1_500;
    const padding = 'x'.repeat(8_000);
    const verdict = (i: number) => gateVerdictAt(`g${i}-${padding}`);
    // Paced by the fast consumer: a batch (5 × 8 kB, under the 64 KiB limit) goes out only once the fast socket has
    // read the previous one, so the fast socket never holds more than the limit however slow this machine is, while
    // the paused socket's backlog grows until it is cut off. Each batch is pipelined on one connection, so ids follow i.
    const batch = 5;
    for (let i = 0; i < count; i += batch) {
      await Promise.all(Array.from({ length: batch }, (_, k) => publisher.gateVerdict(verdict(i + k))));
      await fast.waitFor((m) => m.data?.gate?.startsWith(`g${i + batch - 1}-`), `message ${i + batch - 1} at the fast consumer`);
    }
    assert.deepEqual(
      fast.events('gate.verdict').map((m) => Number((m.data.gate as string).split('-')[0]!.slice(1))),
      Array.from({ length: count }, (_, i) => i),
    );
    await afterOneDisconnect(tight, 'SLOW_CONSUMER', 'the slow consumer to be cut off');
    slow.ws.resume();
    assert.ok([CLOSE.SLOW_CONSUMER.code, 1006].includes((await slow.closed).code));
    assert.ok(slow.events().length < count, 'the slow consumer did not get everything buffered for it');
  });

  it('cuts a socket that stops answering heartbeats (pinged in rounds), and keeps the one that answers', async () => {
    const beating = await pod({ REALTIME_HEARTBEAT_MS: '2000' });
    const [silent, alive] = await twoGateDesks(beating);
    // A paused socket reads nothing, so it never sees a ping and never answers one.
    silent.ws.pause();
    await afterOneDisconnect(beating, 'DEAD', 'the silent socket to be found dead');
    silent.ws.resume();
    assert.equal((await silent.closed).code, 1006);
    await publisher.gateVerdict(gateVerdictAt('after-heartbeats'));
    await alive.waitFor((m) => m.data?.gate === 'after-heartbeats', 'a verdict on the answering socket');
  });

  it('pings the sockets in rounds spread over the heartbeat interval, not in one burst (hub.ts)', async () => {
    const intervalMs = 6000;
    const spread = await pod({ REALTIME_HEARTBEAT_MS: String(intervalMs), REALTIME_MAX_CONNECTIONS_PER_USER: '1000' });
    const desks = await Promise.all(Array.from({ length: 90 }, () => socket(wsUrlOf(spread), security, { channels: 'gates' })));
    await Promise.all(desks.map((desk) => desk.welcomed()));
    // Each desk's first ping. The hub takes the interval's connections when its first round runs, so
    // desks that joined after it are pinged from the next interval on: waiting for every desk's
    // first ping (not a fixed window, whose phase against the rounds varies with how long the pod
    // took to start) sees one whole turn. One burst would put every first ping within a few
    // milliseconds; rounds spread them over the interval, wide enough that a test process held up
    // for a few seconds still sees the spread.
    const firstPingAt = new Map<number, number>();
    desks.forEach((desk, i) => desk.ws.once('ping', () => firstPingAt.set(i, performance.now())));
    await eventually(async () => firstPingAt.size === desks.length, 'every desk pinged', 20 * intervalMs);

    const pingedAt = [...firstPingAt.values()];
    const moments = new Set(pingedAt.map((at) => Math.floor(at / 200)));
    const spanMs = Math.max(...pingedAt) - Math.min(...pingedAt);
    assert.ok(moments.size >= 5, `first pings arrived in ${moments.size} separate 200 ms windows`);
    assert.ok(spanMs >= intervalMs / 4, `first pings spread over ${Math.round(spanMs)} ms of a ${intervalMs} ms interval`);
  });

  it('fans a message out to more sockets than one slice (hub.ts) in slices: every socket gets every verdict, in order', async () => {
    const crowded = await pod({ REALTIME_MAX_CONNECTIONS_PER_USER: '1000' });
    const desks = await Promise.all(Array.from({ length: 600 }, () => socket(wsUrlOf(crowded), security, { channels: 'gates' })));
    await Promise.all(desks.map((desk) => desk.welcomed()));
    const tag = randomBytes(3).toString('hex');
    const verdict = (i: number) => gateVerdictAt(`${tag}-${i}`);
    // Pipelined on one Redis connection: the ids, and so the order every socket must see, follow i.
    await Promise.all(Array.from({ length: 5 }, (_, i) => publisher.gateVerdict(verdict(i))));
    for (const desk of desks) {
      await desk.waitFor((m) => m.data?.gate === `${tag}-4`, 'the last verdict');
      assert.deepEqual(
        desk
          .events('gate.verdict')
          .map((m) => m.data.gate as string)
          .filter((gate) => gate.startsWith(`${tag}-`)),
        [0, 1, 2, 3, 4].map((i) => `${tag}-${i}`),
      );
    }
  });

  it('SIGTERM closes every socket with 1001 "going away", spread out, and the process exits cleanly', async () => {
    const doomed = await pod({ REALTIME_DRAIN_SPREAD_MS: '2000' });
    const clients = await Promise.all(Array.from({ length: 10 }, () => socket(wsUrlOf(doomed), staff)));
    await Promise.all(clients.map((c) => c.welcomed()));
    doomed.child.kill('SIGTERM');
    const closes = await Promise.all(clients.map((c) => c.closed));
    assert.deepEqual(
      closes.map((c) => c.code),
      Array(10).fill(1001),
    );
    assert.match(closes[0]!.reason, /^GOING_AWAY/);
    const times = closes.map((c) => c.at).sort((a, b) => a - b);
    // Ten sockets over 2 s: one every 200 ms, so the last goes at least 1.8 s after the first.
    assert.ok(times.at(-1)! - times[0]! >= 1_500, 'the closes are spread over the drain window, not all at once');
    assert.equal(await doomed.exited, 0);
  });

  it('declares for each channel the same roles as the REST route serving the same facts', async () => {
    const openapi = (await call(podA.url, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { 'x-roles': string[] }>>;
    };
    for (const name of CHANNEL_NAMES) {
      const { method, path } = CHANNELS[name].sameAccessAs;
      assert.deepEqual([...CHANNELS[name].roles].sort(), [...openapi.paths[path]![method]!['x-roles']].sort(), name);
    }
  });
});
