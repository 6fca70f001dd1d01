import type { Next } from 'koa';
import type { AppContext } from '../context.js';

/**
 * Headers every response carries: no MIME sniffing (uploads and reports are served back), never
 * framed, no referrer leaking ids in URLs, and no caching of authenticated answers by shared caches.
 */
export function securityHeaders() {
  return async (ctx: AppContext, next: Next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    await next();
    if (ctx.get('authorization') && !ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'private, no-store');
  };
}
