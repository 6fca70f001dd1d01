/**
 * Attack: JSON bodies as a cost. Bodies used to be parsed for every route before authentication,
 * up to 1 MiB and at any depth: 1 MB of `[[[[…` held the event loop 0.4–0.9 s per request. Now a
 * route reads its body only after the caller is authenticated, at most 64 KiB and 16 levels deep.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../../testing/api.js';
import { openSocket, readUntilClosed } from '../../testing/raw-http.js';
import { jsonDepthExceeds } from '../middleware/json-body.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('attack: expensive JSON bodies', () => {
  const world = useTestEnvironment('atk-body');

  it('refuses an anonymous caller before reading a byte of the body', async () => {
    const socket = await openSocket(world.url);
    const answer = readUntilClosed(socket, 30_000);
    // A megabyte is announced and never sent: only a server that waits for it stays silent.
    socket.write(
      'POST /students HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\nconnection: close\r\n\r\n[[[[',
    );
    const res = await answer;
    assert.equal(res.status, 401, res.text.slice(0, 200));
  });

  it('refuses deeply nested JSON without parsing it, on public routes too', async () => {
    const res = await call(world.url, 'POST', '/auth/login', { raw: nested(30_000), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BODY_TOO_DEEP');
    const staff = await world.env.tokenFor('staff');
    const deepObject = `{"firstName":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`;
    const authed = await call(world.url, 'POST', '/students', {
      token: staff,
      raw: deepObject,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(authed.body.error.code, 'BODY_TOO_DEEP');
  });

  it('refuses JSON bodies over 64 KiB with 413', async () => {
    const res = await call(world.url, 'POST', '/auth/login', { body: { email: 'a@university.edu', password: 'x'.repeat(100 * 1024) } });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('measures depth outside strings only', () => {
    assert.equal(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 2), false);
    assert.equal(jsonDepthExceeds(`{"a":"\\"[[[["}`, 1), false);
    assert.equal(jsonDepthExceeds(nested(3), 2), true);
    assert.equal(jsonDepthExceeds(nested(2), 2), false);
    // Many brackets, shallow: more brackets than the limit is not more depth.
    assert.equal(jsonDepthExceeds(`[${'[],'.repeat(50)}[]]`, 2), false);
    assert.equal(jsonDepthExceeds(`{"a":[{"b":[]}]}`, 4), false);
    assert.equal(jsonDepthExceeds(`{"a":[{"b":[]}]}`, 3), true);
  });
});
