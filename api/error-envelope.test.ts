/**
 * Every failure is the JSON error envelope, including the ones no route handler produces: an
 * unknown path (404), a known path with a method it does not take (405 with `Allow`), and a method
 * the router does not know at all (also 405: never a 5xx for a client's request). Who is asking is
 * answered before what was sent: a body of the wrong type gets 401 from an anonymous caller and 403
 * from a caller of the wrong role, and 415 only from one who may call the route.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../testing/api.js';
import { sendRaw } from '../testing/raw-http.js';
import { useTestEnvironment } from '../testing/use-test-environment.js';

describe('errors the router answers are in the JSON envelope', () => {
  const world = useTestEnvironment('error-envelope');

  it('405 for a method a path does not take, with Allow in the header and in details', async () => {
    const token = await world.env.tokenFor('staff');
    const res = await call(world.api.url, 'PUT', '/students', { token, body: { firstName: 'x' } });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/).sort(), ['GET', 'HEAD', 'POST']);
    assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.deepEqual([...res.body.error.details.allow].sort(), ['GET', 'HEAD', 'POST']);
    assert.match(res.body.error.message, /PUT is not allowed on \/students/);
  });

  it('405 is answered the same to anonymous callers (the method is wrong whoever asks)', async () => {
    const res = await call(world.api.url, 'DELETE', '/auth/login');
    assert.equal(res.status, 405);
    assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/), ['POST']);
  });

  it('404 for an unknown path', async () => {
    const res = await call(world.api.url, 'GET', '/no/such/thing');
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    assert.match(res.body.error.message, /GET \/no\/such\/thing/);
  });

  it('405 with Allow, not 501, for a method the router does not implement (TRACE, PROPFIND)', async () => {
    // fetch refuses to send TRACE, so both go over a bare socket.
    for (const method of ['TRACE', 'PROPFIND']) {
      const res = await sendRaw(world.api.url, `${method} /students HTTP/1.1\r\nHost: localhost\r\nConnection: close`, '');
      assert.equal(res.status, 405, res.text);
      assert.match(res.text, /^content-type: application\/json/im);
      assert.match(res.text, /^allow: (GET|HEAD|POST)(, (GET|HEAD|POST)){2}\r$/im);
      assert.match(res.text, /"code":"METHOD_NOT_ALLOWED"/);
    }
  });

  it('404 in the envelope for any method on an unknown path, TRACE included (no Allow: the path has no methods)', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'TRACE']) {
      const res = await sendRaw(world.api.url, `${method} /no/such/thing HTTP/1.1\r\nHost: localhost\r\nConnection: close`, '');
      assert.equal(res.status, 404, `${method}: ${res.text}`);
      assert.match(res.text, /^content-type: application\/json/im);
      assert.doesNotMatch(res.text, /^allow:/im);
      assert.match(res.text, new RegExp(`"code":"NOT_FOUND".*${method} /no/such/thing`));
    }
  });

  it('405 with Allow on the paths outside the route table too (/openapi.json, /docs)', async () => {
    for (const path of ['/openapi.json', '/docs']) {
      const res = await call(world.api.url, 'PUT', path, { body: {} });
      assert.equal(res.status, 405, path);
      assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
      assert.deepEqual(res.headers.get('allow')?.split(/,\s*/).sort(), ['GET', 'HEAD']);
    }
  });

  it('authentication is answered before the content type: 401 anonymous, 403 wrong role, 415 only for a caller who may post', async () => {
    const notJson = { raw: 'firstName=Ada', headers: { 'content-type': 'text/plain' } };
    const anonymous = await call(world.api.url, 'POST', '/students', notJson);
    assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
    assert.equal(anonymous.body.error.code, 'UNAUTHORIZED');
    const badToken = await call(world.api.url, 'POST', '/students', { ...notJson, token: 'not-a-token' });
    assert.equal(badToken.status, 401, JSON.stringify(badToken.body));
    const student = await call(world.api.url, 'POST', '/students', { ...notJson, token: await world.env.tokenFor('student') });
    assert.equal(student.status, 403, JSON.stringify(student.body));
    assert.equal(student.body.error.code, 'FORBIDDEN');
    const staff = await call(world.api.url, 'POST', '/students', { ...notJson, token: await world.env.tokenFor('staff') });
    assert.equal(staff.status, 415, JSON.stringify(staff.body));
    assert.equal(staff.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    for (const res of [anonymous, badToken, student, staff]) assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('the same order for a multipart upload route and a body too large to read', async () => {
    const anonymous = await call(world.api.url, 'POST', '/uploads', { raw: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
    const huge = await call(world.api.url, 'POST', '/students', {
      raw: 'x'.repeat(2 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 401, 'an anonymous caller learns nothing about the body limit');
  });

  it('a path with broken percent-encoding is a 4xx in the envelope, not a 500', async () => {
    const token = await world.env.tokenFor('staff');
    for (const path of ['/students/%E0%A4%A', '/no/such/%zz']) {
      const res = await sendRaw(
        world.api.url,
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: close`,
        '',
      );
      assert.ok(res.status !== undefined && res.status >= 400 && res.status < 500, `${path}: ${res.text}`);
      assert.match(res.text, /^content-type: application\/json/im);
      assert.match(res.text, /"error":\{"code":"[A-Z_]+"/);
    }
  });

  it('OPTIONS still answers with Allow and no error', async () => {
    const res = await call(world.api.url, 'OPTIONS', '/students');
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.get('allow')?.split(/,\s*/).sort(), ['GET', 'HEAD', 'POST']);
  });
});
