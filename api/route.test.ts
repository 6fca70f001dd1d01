/** The reply check: under NODE_ENV=test a route cannot answer data its declared response schema does not describe. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import type { AppContext, AppDeps } from './context.js';
import { JsonText, defineRoute, mountRoutes, type AnyRoute } from './route.js';

const Answer = z.strictObject({ id: z.uuid(), name: z.string() });

const routes: AnyRoute[] = [
  defineRoute({
    method: 'get',
    path: '/right',
    summary: 'r',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({ data: { id: '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f', name: 'x' } }),
  }),
  // A field the document does not list: the kind of slip that leaks a column.
  defineRoute({
    method: 'get',
    path: '/extra',
    summary: 'e',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({ data: { id: '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f', name: 'x', passwordHash: 'h' } }),
  }),
  defineRoute({
    method: 'get',
    path: '/unpaged',
    summary: 'u',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer, list: true },
    handler: async () => ({ data: [] }),
  }),
  // Data serialised already (analytics answers written by Postgres): checked and enveloped alike.
  defineRoute({
    method: 'get',
    path: '/right-text',
    summary: 'rt',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({ data: new JsonText('{"id":"6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f","name":"x"}') }),
  }),
  defineRoute({
    method: 'get',
    path: '/extra-text',
    summary: 'et',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({ data: new JsonText('{"id":"6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f","name":"x","passwordHash":"h"}') }),
  }),
  // The same as UTF-8 bytes (analytics answers kept as bytes in the cache), a non-ASCII name included.
  defineRoute({
    method: 'get',
    path: '/right-bytes',
    summary: 'rb',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({ data: new JsonText(Buffer.from('{"id":"6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f","name":"Zoë"}')) }),
  }),
  defineRoute({
    method: 'get',
    path: '/extra-bytes',
    summary: 'eb',
    tag: 't',
    access: 'public',
    sla: 'none',
    response: { data: Answer },
    handler: async () => ({
      data: new JsonText(Buffer.from('{"id":"6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f","name":"x","passwordHash":"h"}')),
    }),
  }),
];

const PATHS = ['/right', '/extra', '/unpaged', '/right-text', '/extra-text', '/right-bytes', '/extra-bytes'];

async function answers(nodeEnv: string): Promise<Record<string, { status: number; body: string; type: string | null }>> {
  const app = new Koa();
  const router = new Router<AppContext['state'], AppContext>();
  mountRoutes(router, routes, { config: { NODE_ENV: nodeEnv } } as unknown as AppDeps);
  app.silent = true;
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const found: Record<string, { status: number; body: string; type: string | null }> = {};
    for (const path of PATHS) {
      const res = await fetch(`${base}${path}`);
      found[path] = { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
    }
    return found;
  } finally {
    server.close();
  }
}

async function statuses(nodeEnv: string): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await answers(nodeEnv)).map(([path, { status }]) => [path, status]));
}

describe('declared response schemas', () => {
  it('refuse, under NODE_ENV=test, a reply with a field the schema lacks or a list without pagination', async () => {
    assert.deepEqual(await statuses('test'), {
      '/right': 200,
      '/extra': 500,
      '/unpaged': 500,
      '/right-text': 200,
      '/extra-text': 500,
      '/right-bytes': 200,
      '/extra-bytes': 500,
    });
  });
  it('cost nothing in production: replies are not checked there', async () => {
    assert.deepEqual(await statuses('production'), {
      '/right': 200,
      '/extra': 200,
      '/unpaged': 200,
      '/right-text': 200,
      '/extra-text': 200,
      '/right-bytes': 200,
      '/extra-bytes': 200,
    });
  });
  it('send data serialised already inside the same envelope as an object', async () => {
    const found = await answers('test');
    assert.equal(found['/right-text']?.body, found['/right']?.body);
    assert.deepEqual(JSON.parse(found['/right-text']?.body ?? ''), { data: { id: '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f', name: 'x' } });
    assert.deepEqual(JSON.parse(found['/right-bytes']?.body ?? ''), { data: { id: '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f', name: 'Zoë' } });
    assert.equal(found['/right-bytes']?.type, 'application/json; charset=utf-8');
  });
});
