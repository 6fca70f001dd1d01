/**
 * Attacks on the edges of authentication and the HTTP server: a validly signed JWT without `exp`
 * (it used to be accepted, so it never expired), a client trickling its headers (a connection used
 * to be held for 66 s), and the `security` role reading a pass's signed code (gate staff verify
 * codes; only roles that print passes may hold one).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { call } from '../../testing/api.js';
import { openSocket, readUntilClosed } from '../../testing/raw-http.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

describe('attack: tokens, slow headers and pass codes', () => {
  const world = useTestEnvironment('atk-edges', { env: { HTTP_HEADERS_TIMEOUT_MS: '1000' } });

  async function forgeable(claims: { exp?: boolean; iat?: boolean }): Promise<string> {
    const user = await world.env.createUser('admin');
    const jwt = new SignJWT({ role: 'admin', sref: null, sid: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer('passplatform');
    if (claims.iat) jwt.setIssuedAt();
    if (claims.exp) jwt.setExpirationTime('10m');
    return jwt.sign(new TextEncoder().encode(world.env.env.JWT_SECRET));
  }

  it('refuses a correctly signed access token without exp or without iat', async () => {
    for (const claims of [{ iat: true }, { exp: true }]) {
      const res = await call(world.url, 'GET', '/auth/me', { token: await forgeable(claims) });
      assert.equal(res.status, 401, JSON.stringify(claims));
      assert.equal(res.body.error.code, 'INVALID_TOKEN');
    }
    assert.equal((await call(world.url, 'GET', '/auth/me', { token: await forgeable({ exp: true, iat: true }) })).status, 200);
  });

  it('drops a connection whose headers trickle in, once the headers timeout passes', async () => {
    const socket = await openSocket(world.url);
    const answer = readUntilClosed(socket, 30_000);
    socket.write('GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
    const trickle = setInterval(() => socket.writable && socket.write('a'), 200);
    const res = await answer;
    clearInterval(trickle);
    assert.equal(res.status, 408, `the server answered ${JSON.stringify(res.text.slice(0, 80))}`);
  });

  it('gives the security role a pass without its signed code; printing roles get the code', async () => {
    const student = { id: await world.env.insertStudent({ status: 'active' }) };
    const staff = await world.env.tokenFor('staff');
    const issued = await call(world.url, 'POST', '/passes', {
      token: staff,
      body: { studentId: student.id, validUntil: new Date(Date.now() + 3_600_000).toISOString() },
    });
    assert.equal(issued.status, 201);
    const asSecurity = await call(world.url, 'GET', `/passes/${issued.body.data.id}`, { token: await world.env.tokenFor('security') });
    assert.equal(asSecurity.status, 200);
    assert.equal(asSecurity.body.data.code, undefined);
    assert.equal(asSecurity.body.data.id, issued.body.data.id);
    const asStaff = await call(world.url, 'GET', `/passes/${issued.body.data.id}`, { token: staff });
    assert.equal(asStaff.body.data.code, issued.body.data.code);
  });
});
