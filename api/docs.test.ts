/**
 * The API reference at /docs: served from the npm package (no remote resource), rendered by a real
 * headless Chromium from the live OpenAPI document, with an example for every route's body and
 * every error status it documents.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { call } from '../testing/api.js';
import { colourCounts, dumpDom, findChromium, screenshot } from '../testing/chromium.js';
import { useTestEnvironment } from '../testing/use-test-environment.js';

type Operation = {
  requestBody?: { content: { 'application/json': { example?: unknown } } };
  responses: Record<string, { content?: { 'application/json': { examples?: Record<string, { $ref: string }> } } }>;
};

/** Swagger UI's method colours (GET blue, POST green), drawn as solid badges. */
const GET_BLUE = '#61affe';
const POST_GREEN = '#49cc90';

describe('API reference at /docs', () => {
  const world = useTestEnvironment('api-docs');

  it('serves the page and the renderer from this origin only, and 404s other files', async () => {
    const page = await call(world.api.url, 'GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(page.body, /https?:\/\//, 'no CDN or other remote resource');
    const bundle = /src="(\/docs\/assets\/[^"]+\/swagger-ui-bundle\.js)"/.exec(page.body)?.[1];
    assert.ok(bundle);
    const js = await fetch(`${world.api.url}${bundle}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.ok((await js.arrayBuffer()).byteLength > 100_000);
    const other = await call(world.api.url, 'GET', bundle.replace('swagger-ui-bundle.js', 'package.json'));
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, 'NOT_FOUND');
  });

  it('documents an example body for every route that takes one, valid for that route, and the error envelope for every error', async () => {
    const doc = (await call(world.api.url, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { examples: Record<string, unknown> };
    };
    let bodies = 0;
    const refused: string[] = [];
    for (const route of world.api.routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method];
      assert.ok(operation, `${route.method} ${route.path} is documented`);
      if (route.body) {
        const example = operation.requestBody?.content['application/json'].example;
        const parsed = route.body.safeParse(example);
        if (!parsed.success)
          refused.push(
            `${route.method} ${route.path}: ${JSON.stringify(example)} → ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        bodies += 1;
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const refs = Object.values(response.content?.['application/json'].examples ?? {}).map((e) => e.$ref.split('/').at(-1) ?? '');
        assert.ok(
          refs.length > 0 && refs.every((name) => name in doc.components.examples),
          `${route.method} ${route.path} ${status} has an error example`,
        );
      }
    }
    assert.deepEqual(refused, [], 'every example body is accepted by its route');
    assert.ok(bodies > 5, `request examples checked: ${bodies}`);
  });

  it('documents the body of every success answer (only 204 has none)', async () => {
    const doc = (await call(world.api.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(operations))
        for (const [status, response] of Object.entries(operation.responses))
          if (Number(status) < 300 && status !== '204' && !response.content) undocumented.push(`${method} ${path} ${status}`);
    assert.deepEqual(undocumented, []);
  });

  it('renders every route in headless Chromium (a screenshot with the method badges drawn)', async (t) => {
    const chromium = findChromium();
    if (!chromium) {
      t.skip('chromium not found (apt-get install -y chromium): the rendering check did not run');
      return;
    }
    const dom = await dumpDom(chromium, `${world.api.url}/docs`);
    const rendered = dom.match(/class="opblock opblock-/g)?.length ?? 0;
    assert.equal(rendered, world.api.routes.length, 'one operation block per route');
    assert.match(dom, /\/students\/search/);
    assert.match(dom, /PassPlatform API/);

    const dir = mkdtempSync(join(tmpdir(), 'api-docs-'));
    try {
      const shot = join(dir, 'docs.png');
      await screenshot(chromium, `${world.api.url}/docs`, shot, { windowSize: [1280, 2400] });
      if (process.env.API_DOCS_SCREENSHOT) copyFileSync(shot, process.env.API_DOCS_SCREENSHOT);
      const png = PNG.sync.read(readFileSync(shot));
      const counts = colourCounts(png);
      assert.ok((counts.get(GET_BLUE) ?? 0) > 500, `GET badges: ${counts.get(GET_BLUE) ?? 0} pixels`);
      assert.ok((counts.get(POST_GREEN) ?? 0) > 500, `POST badges: ${counts.get(POST_GREEN) ?? 0} pixels`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
