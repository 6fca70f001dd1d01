/**
 * `GET /docs`: an interactive API reference (Swagger UI) rendered from `/openapi.json`. The
 * renderer is served from its npm package (`swagger-ui-dist`), never from a CDN, under a path that
 * carries its version so browsers may cache it for good. Public, like the OpenAPI document.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Router from '@koa/router';
import type { AppContext, AppState } from './context.js';

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_VERSION = (require('swagger-ui-dist/package.json') as { version: string }).version;
const ASSETS = `/docs/assets/${SWAGGER_UI_VERSION}`;

/** The only files served from the package, with their types. */
const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Swagger UI styles itself with inline style attributes; scripts come only from this origin. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PassPlatform API reference</title>
  <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="api-reference"></div>
  <script src="${ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** Kept out of the page so the policy needs no inline script. */
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#api-reference',
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
});
`;

const assetCache = new Map<string, Promise<Buffer>>();
const readAsset = (file: string) => {
  let content = assetCache.get(file);
  if (!content) assetCache.set(file, (content = readFile(join(SWAGGER_UI_DIR, file))));
  return content;
};

export function mountApiDocs(router: Router<AppState, AppContext>): void {
  router.get('/docs', (ctx) => {
    ctx.state.route = '/docs';
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/init.js', (ctx) => {
    ctx.state.route = '/docs/init.js';
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = INIT;
  });
  router.get(`${ASSETS}/:file`, async (ctx) => {
    ctx.state.route = '/docs/assets/:version/:file';
    const type = ASSET_TYPES[ctx.params.file ?? ''];
    if (!type) return; // unknown file: the envelope's 404
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = type;
    ctx.body = await readAsset(ctx.params.file as string);
  });
}
