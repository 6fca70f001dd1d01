/**
 * The answers every route can give without saying so in its own declaration are in the OpenAPI
 * document too (the contract fuzzer, `npm run fuzz`, found them missing): 404 where the path
 * names a resource, 413 and 415 where a body is read. Streamed bodies are documented as the media
 * type the route takes, and a request of another type is refused with 415 before the handler.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { call } from '../testing/api.js';
import { useTestEnvironment } from '../testing/use-test-environment.js';

type Operation = { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> };

describe('the OpenAPI document', () => {
  const world = useTestEnvironment('openapi');
  let doc: { paths: Record<string, Record<string, Operation>> };
  before(async () => {
    doc = (await call(world.url, 'GET', '/openapi.json')).body;
  });

  const operation = (method: string, path: string): Operation => {
    const found = doc.paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[method];
    assert.ok(found, `${method} ${path} is documented`);
    return found;
  };

  it('documents 404 for every route with path parameters, and 413 and 415 for every route that reads a body', () => {
    const missing: string[] = [];
    for (const route of world.api.routes) {
      const statuses = Object.keys(operation(route.method, route.path).responses);
      const expected = [...(route.params ? ['404'] : []), ...(route.body || route.streamedBody ? ['413', '415'] : [])];
      for (const status of expected) if (!statuses.includes(status)) missing.push(`${route.method} ${route.path} ${status}`);
    }
    assert.deepEqual(missing, []);
    assert.ok(world.api.routes.filter((r) => r.params).length > 10);
  });

  it('documents streamed bodies as the media type the route reads, and JSON bodies as JSON', () => {
    const single = operation('post', '/uploads').requestBody?.content;
    assert.deepEqual(Object.keys(single ?? {}), ['multipart/form-data']);
    assert.deepEqual(single?.['multipart/form-data']?.schema.required, ['file']);
    const part = operation('put', '/uploads/:id/parts/:partNumber').requestBody?.content;
    assert.deepEqual(part, { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } });
    assert.deepEqual(Object.keys(operation('post', '/uploads/chunked').requestBody?.content ?? {}), ['application/json']);
    assert.ok('409' in operation('post', '/uploads/:id/complete').responses);
  });

  it('refuses a streamed body of another media type with 415 before anything else is read', async () => {
    const token = await world.env.tokenFor('student');
    const json = await call(world.api.url, 'POST', '/uploads', { token, body: { file: 'x' } });
    assert.equal(json.status, 415);
    assert.equal(json.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    // The media type is checked before the upload is looked up: no such upload, still 415.
    const part = await call(world.api.url, 'PUT', `/uploads/${crypto.randomUUID()}/parts/1`, {
      token,
      raw: 'abc',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(part.status, 415);
  });
});
