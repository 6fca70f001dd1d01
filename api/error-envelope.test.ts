/**
 * Every failure is the JSON error envelope, including the ones no route handler produces: an
 * unknown path (404), a known path with a method it does not take (405 with `Allow`), and a method
 * the router does not know at all (also 405: never a 5xx for a client's request).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestApi, type TestEnvironment } from '../testing/api.js';
import { sendRaw } from '../testing/raw-http.js';

describe('errors the router answers are in the JSON envelope', () => {
  let env: TestEnvironment;
  let api: TestApi;
  before(async () => {
    env = await createTestEnvironment('error-envelope');
    api = await env.start();
  });
  after(() => env.teardown());

  it('405 for a method a path does not take, with Allow in the header and in details', async () => {
    const token = await env.tokenFor('staff');
    const res = await call(api.url, 'PUT', '/students', { token, body: { firstName: 'x' } });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/).sort(), ['GET', 'HEAD', 'POST']);
    assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.deepEqual([...res.body.error.details.allow].sort(), ['GET', 'HEAD', 'POST']);
    assert.match(res.body.error.message, /PUT is not allowed on \/students/);
  });

  it('405 is answered the same to anonymous callers (the method is wrong whoever asks)', async () => {
    const res = await call(api.url, 'DELETE', '/auth/login');
    assert.equal(res.status, 405);
    assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/), ['POST']);
  });

  it('404 for an unknown path', async () => {
    const res = await call(api.url, 'GET', '/no/such/thing');
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    assert.match(res.body.error.message, /GET \/no\/such\/thing/);
  });

  it('405 with Allow, not 501, for a method the router does not implement (TRACE, PROPFIND)', async () => {
    // fetch refuses to send TRACE, so both go over a bare socket.
    for (const method of ['TRACE', 'PROPFIND']) {
      const res = await sendRaw(api.url, `${method} /students HTTP/1.1\r\nHost: localhost\r\nConnection: close`, '');
      assert.equal(res.status, 405, res.text);
      assert.match(res.text, /^content-type: application\/json/im);
      assert.match(res.text, /^allow: (GET|HEAD|POST)(, (GET|HEAD|POST)){2}\r$/im);
      assert.match(res.text, /"code":"METHOD_NOT_ALLOWED"/);
    }
  });

  it('OPTIONS still answers with Allow and no error', async () => {
    const res = await call(api.url, 'OPTIONS', '/students');
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/).sort(), ['GET', 'HEAD', 'POST']);
  });
});
