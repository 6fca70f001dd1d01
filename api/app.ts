/**
 * Builds the Koa application from its dependencies, so tests can start as many instances as they
 * like against the same Postgres and Redis. The order of the middleware is the contract:
 * request id → security headers → metrics → error envelope → compression → rate limit → body → routes.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import compress from 'koa-compress';
import type { AppContext, AppDeps, AppState } from './context.js';
import { payloadTooLarge, unsupportedMediaType } from './errors.js';
import { errorHandler } from './middleware/error-handler.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { requestContext } from './middleware/request-context.js';
import { securityHeaders } from './middleware/security-headers.js';
import { mountApiDocs } from './docs.js';
import { buildOpenApi } from './openapi.js';
import { mountRoutes, type AnyRoute } from './route.js';
import { allRoutes } from './routes/index.js';

const JSON_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const PROBE_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface BuiltApp {
  app: Koa<AppState, AppContext>;
  routes: AnyRoute[];
}

/** Refuses non-JSON bodies on JSON routes with 415, and oversized ones with 413, before parsing. */
function jsonBodyGuard(limitBytes: number) {
  return async (ctx: AppContext, next: () => Promise<unknown>) => {
    if (JSON_METHODS.has(ctx.method) && ctx.request.length && !ctx.is('multipart/*', 'application/octet-stream')) {
      if (!ctx.is('application/json')) throw unsupportedMediaType('application/json');
      if (ctx.request.length > limitBytes) throw payloadTooLarge(limitBytes);
    }
    return next();
  };
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

  app.use(requestContext());
  app.use(securityHeaders());
  app.use(httpMetrics(deps.registry));
  app.use(errorHandler(deps.logger));
  app.use(compress({ threshold: 1024 }));
  app.use(deps.rateLimits.middleware('general', PROBE_PATHS));
  app.use(jsonBodyGuard(deps.config.BODY_LIMIT_BYTES));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: deps.config.BODY_LIMIT_BYTES,
      encoding: 'utf-8',
      onError(err) {
        throw err;
      },
    }),
  );
  app.use(deps.readYourWrites.middleware());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, routes };
}
