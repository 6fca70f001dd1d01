import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Router from '@koa/router';
import Koa from 'koa';
import type { AppContext, AppState } from './context.js';
import { routeDispatch } from './route-dispatch.js';

/** Routes whose precedence matters: a parameter route declared before a fixed path it also matches, and one after. */
function routes(): Router<AppState, AppContext> {
  const router = new Router<AppState, AppContext>();
  const answer = (name: string) => (ctx: AppContext) => {
    ctx.body = { name, params: ctx.params, matched: (ctx as unknown as { _matchedRoute: string })._matchedRoute };
  };
  router.get('/health', answer('health'));
  router.post('/items/verify', answer('verify'));
  router.get('/items/:id', answer('item'));
  router.get('/items/search', answer('search (declared after /items/:id)'));
  router.get('/things/search', answer('things search'));
  router.get('/things/:id', answer('thing'));
  router.get('/chain', (ctx, next) => {
    ctx.set('X-First', 'yes');
    return next();
  });
  router.get('/chain', answer('second layer of /chain'));
  return router;
}

async function serve(app: Koa<AppState, AppContext>): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('route dispatch: fixed paths from a table, the rest through the router', () => {
  let viaRouter: { url: string; server: Server };
  let viaTable: { url: string; server: Server };

  before(async () => {
    const plain = new Koa<AppState, AppContext>();
    const router = routes();
    plain.use(router.routes()).use(router.allowedMethods());
    viaRouter = await serve(plain);
    const tabled = new Koa<AppState, AppContext>();
    tabled.use(routeDispatch(routes()));
    viaTable = await serve(tabled);
  });
  after(() => {
    viaRouter.server.close();
    viaTable.server.close();
  });

  it('answers every request as the router alone does', async () => {
    const requests: [string, string][] = [
      ['GET', '/health'],
      ['HEAD', '/health'],
      ['GET', '/health/'],
      ['GET', '/HEALTH'],
      ['GET', '/health?x=1'],
      ['POST', '/health'],
      ['OPTIONS', '/health'],
      ['PROPFIND', '/health'],
      ['POST', '/items/verify'],
      ['GET', '/items/verify'],
      ['GET', '/items/search'],
      ['GET', '/items/42'],
      ['GET', '/things/search'],
      ['GET', '/things/7'],
      ['GET', '/chain'],
      ['GET', '/nowhere'],
    ];
    for (const [method, path] of requests) {
      const [expected, actual] = await Promise.all(
        [viaRouter, viaTable].map(async ({ url }) => {
          const res = await fetch(`${url}${path}`, { method });
          return { status: res.status, allow: res.headers.get('allow'), first: res.headers.get('x-first'), body: await res.text() };
        }),
      );
      assert.deepEqual(actual, expected, `${method} ${path}`);
    }
  });

  it('keeps the router’s precedence and matched route on a fixed path', async () => {
    const search = (await (await fetch(`${viaTable.url}/items/search`)).json()) as { name: string; params: unknown };
    assert.equal(search.name, 'item', 'the parameter route declared first still answers');
    assert.deepEqual(search.params, { id: 'search' });
    const fixed = (await (await fetch(`${viaTable.url}/things/search`)).json()) as { name: string; params: unknown; matched: string };
    assert.deepEqual(fixed, { name: 'things search', params: {}, matched: '/things/search' });
  });
});
