/**
 * Builds the Koa application from its dependencies, so tests can start as many instances as they
 * like against the same Postgres and Redis. The order of the middleware is the contract:
 * request id → security headers → metrics → error envelope → compression → rate limit → routes.
 * Each route reads its JSON body itself, after authentication and authorisation, and notes its
 * caller as active and their writes for read-your-writes after it (api/route.ts).
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { AppContext, AppDeps, AppState } from './context.js';
import { requestFrame } from './middleware/request-frame.js';
import { mountApiDocs } from './docs.js';
import { buildOpenApi } from './openapi.js';
import { mountRoutes, type AnyRoute } from './route.js';
import { routeDispatch } from './route-dispatch.js';
import { allRoutes } from './routes/index.js';

const PROBE_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface BuiltApp {
  app: Koa<AppState, AppContext>;
  routes: AnyRoute[];
}

export function buildApp(deps: AppDeps, extraRoutes: AnyRoute[] = []): BuiltApp {
  const app = new Koa<AppState, AppContext>({ proxy: deps.config.TRUST_PROXY });
  // Errors are rendered by errorHandler; Koa's default handler would only log them again.
  app.silent = true;
  const router = new Router<AppState, AppContext>();
  const routes = [...allRoutes(deps), ...extraRoutes];
  mountRoutes(router, routes, deps);
  const openApi = buildOpenApi(routes, process.env.npm_package_version ?? '0.1.0');
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = '/openapi.json';
    ctx.body = openApi;
  });
  mountApiDocs(router);

  // Request id, security headers, metrics, error envelope and compression, in that order.
  app.use(requestFrame(deps.registry, deps.logger));
  app.use(deps.rateLimits.middleware('general', PROBE_PATHS));
  app.use(routeDispatch(router));
  return { app, routes };
}
