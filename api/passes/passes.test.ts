import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jsQRModule from 'jsqr';
import type { Knex } from 'knex';
import { PNG } from 'pngjs';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../../testing/api.js';
import { createKnex } from '../../core/db.js';
import { eventually } from '../../testing/eventually.js';
import { createLogger } from '../../core/logger.js';
import { PassSigner } from '../../domain/passes/signing.js';
import { RevocationRegistry } from './revocations.js';
import { PassVerifier } from './verifier.js';

const HOUR = 3_600_000;
// A CommonJS module whose declarations say `export default`: under NodeNext the function is `.default`.
const jsQR = jsQRModule.default;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('passes and gate verification', () => {
  let env: TestEnvironment;
  let a: TestApi;
  let b: TestApi;
  let staff: string;
  let security: string;
  let studentId: string;
  let studentToken: string;

  const newStudent = (status = 'active') => env.insertStudent({ status });

  async function issue(body: Record<string, unknown>, token = staff) {
    const res = await call(a.url, 'POST', '/passes', { token, body: { studentId, validUntil: iso(24 * HOUR), ...body } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; code: string; status: string; validUntil: string; studentId: string };
  }

  const verify = (api: TestApi, code: string, gate = 'main-gate', direction = 'entry') =>
    call(api.url, 'POST', '/passes/verify', { token: security, body: { code, gate, direction } });

  before(async () => {
    env = await createTestEnvironment('passes');
    a = await env.start();
    b = await env.start();
    staff = await env.tokenFor('staff');
    security = await env.tokenFor('security');
    studentId = await newStudent();
    studentToken = await env.tokenFor('student', { studentRef: studentId });
  });
  after(() => env.teardown());

  it('issues a pass with a signed code, audited, readable by its holder and staff', async () => {
    const pass = await issue({ gates: ['main-gate', 'library'] });
    assert.equal(pass.status, 'active');
    assert.match(pass.code, /^k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    const own = await call(a.url, 'GET', `/passes/${pass.id}`, { token: studentToken });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data.gates, ['library', 'main-gate']);
    const otherStudent = await env.tokenFor('student', { studentRef: await newStudent() });
    assert.equal((await call(a.url, 'GET', `/passes/${pass.id}`, { token: otherStudent })).status, 403);
    assert.equal((await call(a.url, 'GET', `/passes/${randomUUID()}`, { token: staff })).status, 404);
    const audit = await env.knex('audit_logs').where({ event_type: 'pass.issued', entity_id: pass.id });
    assert.equal(audit.length, 1);
    const mine = await call(a.url, 'GET', '/passes', { token: studentToken });
    assert.ok(mine.body.data.every((p: { studentId: string }) => p.studentId === studentId));
    assert.equal((await call(a.url, 'GET', `/passes?studentId=${randomUUID()}`, { token: studentToken })).status, 403);
  });

  it('refuses passes for unknown or inactive students, and validity a pass type does not allow', async () => {
    const unknown = await call(a.url, 'POST', '/passes', { token: staff, body: { studentId: randomUUID(), validUntil: iso(HOUR) } });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'UNKNOWN_STUDENT');
    const suspended = await call(a.url, 'POST', '/passes', {
      token: staff,
      body: { studentId: await newStudent('suspended'), validUntil: iso(HOUR) },
    });
    assert.equal(suspended.body.error.code, 'STUDENT_NOT_ELIGIBLE');
    const tooLong = await call(a.url, 'POST', '/passes', {
      token: staff,
      body: { studentId, passType: 'temporary', validUntil: iso(8 * 24 * HOUR) },
    });
    assert.equal(tooLong.status, 400);
    const backwards = await call(a.url, 'POST', '/passes', {
      token: staff,
      body: { studentId, validFrom: iso(2 * HOUR), validUntil: iso(HOUR) },
    });
    assert.equal(backwards.status, 400);
    const badGate = await call(a.url, 'POST', '/passes', {
      token: staff,
      body: { studentId, validUntil: iso(HOUR), gates: ['Main Gate!'] },
    });
    assert.equal(badGate.status, 400);
  });

  it('renders the QR code as PNG or SVG, chosen by ?format= or Accept', async () => {
    const pass = await issue({});
    const png = await fetch(`${a.url}/passes/${pass.id}/qr`, { headers: { authorization: `Bearer ${studentToken}` } });
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    // What a gate's scanner reads off the image (jsQR, an independent decoder) is the pass's signed code.
    assert.equal(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data, pass.code);
    const svg = await fetch(`${a.url}/passes/${pass.id}/qr?format=svg`, { headers: { authorization: `Bearer ${staff}` } });
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(await svg.text(), /^<svg/);
    const accepted = await fetch(`${a.url}/passes/${pass.id}/qr`, {
      headers: { authorization: `Bearer ${staff}`, accept: 'image/svg+xml' },
    });
    assert.match(accepted.headers.get('content-type') ?? '', /svg/);
    assert.equal((await call(a.url, 'GET', `/passes/${pass.id}/qr?format=gif`, { token: staff })).status, 400);
  });

  it('serves a QR image with a strong ETag and immutable caching, and a 304 to a holder who has it, after the same checks', async () => {
    const pass = await issue({});
    const qr = (token: string, query = '', ifNoneMatch?: string) =>
      fetch(`${a.url}/passes/${pass.id}/qr${query}`, {
        // As a browser revalidates (fetch would otherwise add `Cache-Control: no-cache`, which asks for the full image).
        headers: {
          authorization: `Bearer ${token}`,
          ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch, 'cache-control': 'max-age=0' } : {}),
        },
      });
    const first = await qr(studentToken);
    const image = new Uint8Array(await first.arrayBuffer());
    const etag = first.headers.get('etag') ?? '';
    assert.match(etag, /^"[A-Za-z0-9_-]{27}"$/, 'a strong validator');
    assert.equal(first.headers.get('cache-control'), 'private, max-age=31536000, immutable');
    const again = await qr(staff);
    assert.equal(again.headers.get('etag'), etag, 'the same image for every caller and every process');
    assert.deepEqual(new Uint8Array(await again.arrayBuffer()), image);
    const otherProcess = await fetch(`${b.url}/passes/${pass.id}/qr`, { headers: { authorization: `Bearer ${staff}` } });
    assert.equal(otherProcess.headers.get('etag'), etag);
    assert.deepEqual(new Uint8Array(await otherProcess.arrayBuffer()), image);

    const notModified = await qr(studentToken, '', etag);
    assert.equal(notModified.status, 304);
    assert.equal((await notModified.arrayBuffer()).byteLength, 0);
    assert.equal(notModified.headers.get('etag'), etag);
    assert.equal((await qr(studentToken, '', `"stale", ${etag}`)).status, 304, 'any listed validator matches');
    const svg = await qr(studentToken, '?format=svg', etag);
    assert.equal(svg.status, 200, 'the SVG is another image');
    assert.notEqual(svg.headers.get('etag'), etag);
    assert.equal((await qr(studentToken, '', '"another-image"')).status, 200);

    const otherStudent = await env.tokenFor('student', { studentRef: await newStudent() });
    assert.equal((await qr(otherStudent, '', etag)).status, 403, 'knowing the ETag does not get past authorisation');
    assert.equal((await qr(security, '', etag)).status, 403);
  });

  it('keeps the PNG with the pass: another process serves the stored bytes, and replaces one from other rendering options', async () => {
    const pass = await issue({});
    const stored = async () =>
      (await env.knex('passes').where({ id: pass.id }).first('qr_png', 'qr_png_etag')) as {
        qr_png: Buffer | null;
        qr_png_etag: string | null;
      };
    // Rendered and stored after the issuing reply.
    await eventually(async () => (await stored()).qr_png !== null, 'the PNG stored at issue');
    const qr = (api: TestApi) => fetch(`${api.url}/passes/${pass.id}/qr`, { headers: { authorization: `Bearer ${staff}` } });
    const issued = await qr(a);
    const etag = issued.headers.get('etag');
    assert.equal((await stored()).qr_png_etag, etag);
    assert.deepEqual(Buffer.from(await issued.arrayBuffer()), (await stored()).qr_png);

    // Process b never rendered this pass: what it serves comes from the row, byte for byte.
    const marker = Buffer.from('the stored image');
    await env.knex('passes').where({ id: pass.id }).update({ qr_png: marker });
    const fromRow = await qr(b);
    assert.equal(fromRow.headers.get('etag'), etag);
    assert.deepEqual(Buffer.from(await fromRow.arrayBuffer()), marker);

    // An image of another rendering is not served: b renders the current one and stores it.
    await env.knex('passes').where({ id: pass.id }).update({ qr_png_etag: '"an-older-rendering"' });
    const rerendered = await qr(b);
    const png = PNG.sync.read(Buffer.from(await rerendered.arrayBuffer()));
    assert.equal(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data, pass.code);
    await eventually(async () => (await stored()).qr_png_etag === etag, 'the re-rendered PNG stored');
    assert.notDeepEqual((await stored()).qr_png, marker);
  });

  it('lets a valid pass through and logs it', async () => {
    const pass = await issue({ gates: ['main-gate'] });
    const res = await verify(a, pass.code);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.valid, true);
    assert.equal(res.body.data.reason, null);
    assert.equal(res.body.data.pass.id, pass.id);
    assert.equal(res.body.data.degraded, false);
  });

  it('refuses forged, tampered and malformed codes', async () => {
    const pass = await issue({});
    const stranger = new PassSigner(generateKeyPairSync('ed25519').privateKey, 'k1');
    const forged = stranger.sign({
      passId: pass.id,
      studentId,
      passType: 'standard',
      validFrom: 0,
      validUntil: 4_000_000_000,
      issuedAt: 0,
    });
    const [kid, body, sig] = pass.code.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${kid}.${Buffer.from(JSON.stringify({ ...claims, u: 4_000_000_000 })).toString('base64url')}.${sig}`;
    for (const [code, reason] of [
      [forged, 'forged'],
      [tampered, 'forged'],
      ['not-a-pass', 'malformed'],
    ] as const) {
      const res = await verify(a, code);
      assert.equal(res.body.data.valid, false);
      assert.equal(res.body.data.reason, reason);
      assert.equal(res.body.data.pass, null);
    }
  });

  it('refuses expired, not-yet-valid and wrong-gate passes', async () => {
    const expired = await issue({ validFrom: iso(-48 * HOUR), validUntil: iso(-24 * HOUR) });
    assert.equal(expired.status, 'expired');
    assert.equal((await verify(a, expired.code)).body.data.reason, 'expired');
    const later = await issue({ validFrom: iso(24 * HOUR), validUntil: iso(48 * HOUR) });
    assert.equal(later.status, 'scheduled');
    assert.equal((await verify(a, later.code)).body.data.reason, 'not_yet_valid');
    const library = await issue({ gates: ['library'] });
    assert.equal((await verify(a, library.code, 'main-gate')).body.data.reason, 'wrong_gate');
    assert.equal((await verify(a, library.code, 'library')).body.data.valid, true);
  });

  it('refuses a replayed code: entry twice without an exit in between is anti_passback, on any process', async () => {
    const pass = await issue({});
    assert.equal((await verify(a, pass.code, 'main-gate', 'entry')).body.data.valid, true);
    const replay = await verify(b, pass.code, 'north-gate', 'entry');
    assert.equal(replay.body.data.valid, false);
    assert.equal(replay.body.data.reason, 'anti_passback');
    assert.equal((await verify(b, pass.code, 'north-gate', 'exit')).body.data.valid, true);
    assert.equal((await verify(a, pass.code, 'main-gate', 'exit')).body.data.reason, 'anti_passback');
    assert.equal((await verify(a, pass.code, 'main-gate', 'entry')).body.data.valid, true);
  });

  it('revokes: the other process refuses the pass at once and its local set learns it by pub/sub', async () => {
    const pass = await issue({});
    const learned = new Promise<void>((resolve) => {
      const listener = (id: string) => {
        if (id !== pass.id) return;
        b.deps.passes.revocations.off('revoked', listener);
        resolve();
      };
      b.deps.passes.revocations.on('revoked', listener);
    });
    const revoked = await call(a.url, 'POST', `/passes/${pass.id}/revoke`, { token: staff, body: { reason: 'reported lost' } });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.data.status, 'revoked');
    assert.equal((await verify(b, pass.code)).body.data.reason, 'revoked');
    await learned;
    assert.equal(b.deps.passes.revocations.has(pass.id), true);
    const again = await call(a.url, 'POST', `/passes/${pass.id}/revoke`, { token: staff, body: { reason: 'again' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'ALREADY_REVOKED');
    assert.equal((await call(a.url, 'POST', `/passes/${randomUUID()}/revoke`, { token: staff, body: { reason: 'nope' } })).status, 404);
    assert.equal((await env.knex('audit_logs').where({ event_type: 'pass.revoked', entity_id: pass.id })).length, 1);
    // A process started later loads the revocation from Postgres.
    const c = await env.start();
    assert.equal(c.deps.passes.revocations.has(pass.id), true);
    await c.stop();
  });

  it('keeps answering correctly with Redis down: revocation and anti-passback come from Postgres', async () => {
    const down = await env.start({ REDIS_URL: 'redis://127.0.0.1:1', PASS_REVOCATION_SYNC_MS: '3600000' });
    try {
      const pass = await issue({});
      const ok = await verify(down, pass.code, 'main-gate', 'entry');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.data.valid, true);
      assert.equal(ok.body.data.degraded, true);
      assert.equal((await verify(down, pass.code, 'main-gate', 'entry')).body.data.reason, 'anti_passback');
      assert.equal((await verify(down, pass.code, 'main-gate', 'exit')).body.data.valid, true);

      // Revoked through a healthy process after `down` started: its local set cannot know; Postgres does.
      const victim = await issue({});
      assert.equal((await call(a.url, 'POST', `/passes/${victim.id}/revoke`, { token: staff, body: { reason: 'stolen' } })).status, 200);
      assert.equal(down.deps.passes.revocations.has(victim.id), false);
      const refused = await verify(down, victim.code);
      assert.equal(refused.body.data.valid, false);
      assert.equal(refused.body.data.reason, 'revoked');
      // Decisions that need no I/O are unaffected.
      const expired = await issue({ validFrom: iso(-3 * HOUR), validUntil: iso(-HOUR) });
      assert.equal((await verify(down, expired.code)).body.data.reason, 'expired');
      // Degraded verifications are written at once.
      const logged = await env.knex('access_logs').where({ pass_id: pass.id }).orderBy('id');
      assert.deepEqual(
        logged.map((r: { outcome: string }) => r.outcome),
        ['valid', 'anti_passback', 'valid'],
      );
    } finally {
      await down.stop();
    }
  });

  /** A verifier beside process `a` (its Redis, signer and access-log writer) whose revocation set is not loaded yet. */
  function freshVerifier(knex: Knex): { revocations: RevocationRegistry; verifier: PassVerifier } {
    const logger = createLogger('test', 'silent');
    // Never started (only sync() is called), so the subscriber is never put in subscriber mode.
    const options = { knex, redis: a.deps.redis, subscriber: a.deps.redis, keyPrefix: env.prefix, syncIntervalMs: 3_600_000, logger };
    const revocations = new RevocationRegistry(options);
    const verifier = new PassVerifier({
      ...options,
      signer: a.deps.passes.signer,
      revocations,
      accessLogs: a.deps.passes.accessLogs,
      antiPassbackSeconds: 12 * 3600,
    });
    return { revocations, verifier };
  }

  it('does not let Redis contradict passages a process answered from Postgres while its revocation set was loading', async () => {
    // As after a restart while Postgres was down: the revocation set is not loaded yet, so the
    // verifier answers from Postgres although Redis is reachable, and Redis never sees the passage.
    const { revocations, verifier: restarted } = freshVerifier(env.knex);
    try {
      const pass = await issue({});
      assert.equal((await verify(a, pass.code, 'main-gate', 'entry')).body.data.valid, true);
      const gate = (direction: 'entry' | 'exit') =>
        restarted.verify({ code: pass.code, gate: 'main-gate', direction, verifiedBy: null, requestId: null });
      const exit = await gate('exit');
      assert.deepEqual([exit.valid, exit.degraded], [true, true]);
      await revocations.sync();
      // Redis still remembers the entry; the access log has the exit after it.
      const entry = await gate('entry');
      assert.deepEqual([entry.valid, entry.reason, entry.degraded], [true, null, false]);
      assert.equal((await gate('entry')).reason, 'anti_passback');
    } finally {
      restarted.close();
      revocations.close();
    }
  });

  it('keeps its own passages when Redis is from an older epoch and Postgres cannot be read', async () => {
    // This process's own connection to Postgres, closed below to stand for a Postgres outage.
    const knex = createKnex(env.database.url, 2, 5_000);
    const { revocations, verifier } = freshVerifier(knex);
    try {
      const pass = await issue({});
      assert.equal((await verify(a, pass.code, 'main-gate', 'entry')).body.data.valid, true);
      const gate = (direction: 'entry' | 'exit') =>
        verifier.verify({ code: pass.code, gate: 'main-gate', direction, verifiedBy: null, requestId: null });
      assert.equal((await gate('exit')).degraded, true);
      await revocations.sync();
      await knex.destroy();
      // Redis remembers the entry (older epoch now), the table cannot be read: this process knows the exit.
      const entry = await gate('entry');
      assert.deepEqual([entry.valid, entry.reason, entry.degraded], [true, null, false]);
    } finally {
      verifier.close();
      revocations.close();
      await knex.destroy().catch(() => undefined);
    }
  });

  it('writes every buffered access log when a process stops', async () => {
    const lazy = await env.start({ ACCESS_LOG_FLUSH_MS: '3600000', ACCESS_LOG_BATCH_SIZE: '1000' });
    const pass = await issue({});
    for (const direction of ['entry', 'exit', 'entry'])
      assert.equal((await verify(lazy, pass.code, 'shutdown-gate', direction)).status, 200);
    assert.equal(lazy.deps.passes.accessLogs.buffered, 3);
    assert.equal((await env.knex('access_logs').where({ gate: 'shutdown-gate' })).length, 0);
    await lazy.stop();
    assert.equal((await env.knex('access_logs').where({ gate: 'shutdown-gate' })).length, 3);
  });

  it('lists access logs by pass, student, gate, outcome and time range with cursor pagination', async () => {
    const pass = await issue({});
    const t0 = new Date();
    for (const [gate, direction] of [
      ['east', 'entry'],
      ['east', 'exit'],
      ['west', 'entry'],
      ['west', 'entry'],
      ['east', 'exit'],
    ] as const) {
      await verify(a, pass.code, gate, direction);
    }
    await a.deps.passes.accessLogs.flush();
    const all = await call(a.url, 'GET', `/access-logs?passId=${pass.id}&limit=2`, { token: security });
    assert.equal(all.status, 200);
    const seen = [...all.body.data];
    let cursor = all.body.pagination.nextCursor as string | null;
    while (cursor) {
      const next = await call(a.url, 'GET', `/access-logs?passId=${pass.id}&limit=2&cursor=${encodeURIComponent(cursor)}`, {
        token: security,
      });
      seen.push(...next.body.data);
      cursor = next.body.pagination.nextCursor;
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen.map((r) => r.id)).size, 5);
    // Newest first: east exit, west entry (replay), west entry, east exit, east entry.
    assert.deepEqual(
      seen.map((r) => r.outcome),
      ['valid', 'anti_passback', 'valid', 'valid', 'valid'],
    );
    const west = await call(a.url, 'GET', `/access-logs?passId=${pass.id}&gate=west`, { token: staff });
    assert.deepEqual(
      west.body.data.map((r: { outcome: string }) => r.outcome),
      ['anti_passback', 'valid'],
    );
    const invalid = await call(a.url, 'GET', `/access-logs?studentId=${studentId}&outcome=invalid&from=${t0.toISOString()}`, {
      token: staff,
    });
    assert.ok(invalid.body.data.length >= 1 && invalid.body.data.every((r: { valid: boolean }) => !r.valid));
    const future = await call(a.url, 'GET', `/access-logs?passId=${pass.id}&from=${iso(HOUR)}`, { token: staff });
    assert.deepEqual(future.body.data, []);
    const own = await call(a.url, 'GET', '/access-logs', { token: studentToken });
    assert.ok(own.body.data.length > 0 && own.body.data.every((r: { studentId: string }) => r.studentId === studentId));
    assert.equal((await call(a.url, 'GET', `/access-logs?studentId=${randomUUID()}`, { token: studentToken })).status, 403);
    assert.equal(
      (await call(a.url, 'GET', '/access-logs?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', { token: staff })).status,
      400,
    );
  });

  it('reports verifications per hour and day per gate from the rollup, and active passes', async () => {
    await a.deps.passes.accessLogs.flush();
    await b.deps.passes.accessLogs.flush();
    const raw = (await env.knex('access_logs').select('gate').count('* as n').groupBy('gate')) as { gate: string; n: string }[];
    const expected = Object.fromEntries(raw.map((r) => [r.gate, Number(r.n)]));
    for (const granularity of ['hour', 'day']) {
      const res = await call(
        a.url,
        'GET',
        `/analytics/verifications?granularity=${granularity}&from=${iso(-48 * HOUR)}&to=${iso(2 * HOUR)}`,
        { token: staff },
      );
      assert.equal(res.status, 200);
      const byGate: Record<string, number> = {};
      for (const bucket of res.body.data.buckets) byGate[bucket.gate] = (byGate[bucket.gate] ?? 0) + bucket.total;
      assert.deepEqual(byGate, expected);
      const totals = Object.values(res.body.data.outcomes as Record<string, number>).reduce((s, n) => s + n, 0);
      assert.equal(
        totals,
        Object.values(expected).reduce((s, n) => s + n, 0),
      );
    }
    // The series layout through the API (its reply checked against the declared schema under NODE_ENV=test).
    const series = await call(a.url, 'GET', `/analytics/verifications?layout=series&from=${iso(-48 * HOUR)}&to=${iso(2 * HOUR)}`, {
      token: staff,
    });
    assert.equal(series.status, 200);
    assert.equal(series.body.data.layout, 'series');
    const seriesByGate = Object.fromEntries(
      Object.entries(series.body.data.gates as Record<string, { total: number[] }>).map(([gate, f]) => [
        gate,
        f.total.reduce((sum, n) => sum + n, 0),
      ]),
    );
    assert.deepEqual(seriesByGate, expected);
    const badLayout = await call(a.url, 'GET', '/analytics/verifications?layout=columns', { token: staff });
    assert.equal(badLayout.status, 400);
    const east = await call(a.url, 'GET', `/analytics/verifications?gate=east&from=${iso(-3 * HOUR)}`, { token: staff });
    assert.ok(east.body.data.buckets.every((bkt: { gate: string }) => bkt.gate === 'east'));
    const tooWide = await call(a.url, 'GET', `/analytics/verifications?granularity=hour&from=2020-01-01T00:00:00Z`, { token: staff });
    assert.equal(tooWide.status, 400);
    const active = await call(a.url, 'GET', '/analytics/passes/active', { token: staff });
    assert.equal(active.status, 200);
    const [{ n }] = (await env
      .knex('passes')
      .where({ status: 'active' })
      .where('valid_until', '>', new Date())
      .where('valid_from', '<=', new Date())
      .count('* as n')) as [{ n: string }];
    assert.equal(active.body.data.active.standard + active.body.data.active.temporary, Number(n));
    assert.ok(active.body.data.revokedLast30Days >= 2);
  });
});
