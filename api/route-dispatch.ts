/**
 * The router's dispatch, with the routes that take no parameters found by one Map look-up.
 * @koa/router tests every route's regular expression against every request's path and composes
 * the matched routes' middleware anew each time (koa-compose flattens the array on each call).
 * For a path without parameters the answer never changes, so it is worked out once here, from
 * `router.match` itself: the same layers in the same order (precedence stays the router's), each
 * chain composed once. Everything else — paths with parameters, a trailing slash or other letter
 * case (the router matches those too), unknown paths and methods (404, 405, 501 from
 * `allowedMethods`) — goes to the router as before.
 */
import type Router from '@koa/router';
import compose from 'koa-compose';
import type { Next } from 'koa';
import type { AppContext, AppState } from './context.js';

type Layer = Router<AppState, AppContext>['stack'][number];
type Dispatch = (ctx: AppContext, next: Next) => Promise<unknown>;

/** What the router's own step before each layer's middleware sets, for a layer without parameters. */
function matchedLayer(layer: Layer) {
  const path = layer.path;
  return (ctx: AppContext, next: Next) => {
    const routed = ctx as AppContext & {
      request: { params: Record<string, string> };
      captures: string[];
      routerPath: typeof path;
      _matchedRoute: typeof path;
    };
    routed.captures = [];
    ctx.params = routed.request.params = {};
    routed.routerPath = path;
    routed._matchedRoute = path;
    return next();
  };
}

export function routeDispatch(router: Router<AppState, AppContext>): Dispatch {
  const routed = compose([router.routes(), router.allowedMethods()] as compose.Middleware<AppContext>[]);
  const fixed = new Map<string, Dispatch>();
  for (const layer of router.stack) {
    if (typeof layer.path !== 'string' || layer.paramNames.length > 0) continue;
    for (const method of layer.methods) {
      const key = `${method} ${layer.path}`;
      if (fixed.has(key)) continue;
      const { route, pathAndMethod } = router.match(layer.path, method);
      // A route with parameters that also matches this path reads them from it: left to the router.
      if (!route || pathAndMethod.some((matched) => matched.paramNames.length > 0)) continue;
      const chain = pathAndMethod.flatMap((matched) => [matchedLayer(matched), ...matched.stack]);
      fixed.set(key, compose(chain as compose.Middleware<AppContext>[]));
    }
  }
  return (ctx, next) => (fixed.get(`${ctx.method} ${ctx.path}`) ?? routed)(ctx, next);
}
