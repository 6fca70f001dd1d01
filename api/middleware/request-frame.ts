/**
 * What every request goes through before the rate limit and its route, in one middleware: each
 * koa-compose layer costs a bound dispatch, a promise and an async frame per request, and these
 * were five (request context, security headers, metrics, error envelope, compression) around
 * every `GET /health`. Their order is kept, outermost first:
 *
 * 1. the request id (kept from `X-Request-Id` when well-formed) and `X-Response-Time`;
 * 2. headers every response carries: no MIME sniffing (uploads and reports are served back), never
 *    framed, no referrer leaking ids in URLs, and no caching of authenticated answers by shared caches;
 * 3. the SLA histogram by route template (never the raw path, which would explode cardinality) and
 *    the in-flight count, which graceful shutdown waits on;
 * 4. the error envelope: one place turns every failure, and the router's bodiless 404/405/501, into it;
 * 5. compression (koa-compress) of answers of at least 1 KiB; smaller ones, known by the
 *    `Content-Length` Koa set with the body, skip its checks (content type, `Cache-Control`,
 *    encoding negotiation) and are sent as they are, as koa-compress would have sent them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Next } from 'koa';
import compress from 'koa-compress';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';
import { RouteDurationHistogram } from '../../core/route-duration-histogram.js';
import { UNCLASSIFIED } from '../../core/sla.js';
import type { AppContext } from '../context.js';
import { renderError, unansweredRouteError } from './error-handler.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Header names are written in lower case, as HTTP/2 writes every name (HTTP/1.1's are
// case-insensitive too): Node's setHeader lower-cases each name to key its header table, and a name
// that already is lower case is the same interned string, with no new string to make and look up.
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-resource-policy', 'same-origin'],
];

/** Answers smaller than this are never compressed (koa-compress's threshold). */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

const answered = () => Promise.resolve();

/** Whether the body is text or bytes whose length Koa set below the compression threshold. */
function belowCompressionThreshold(ctx: AppContext): boolean {
  const body: unknown = ctx.body;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return false;
  return Number(ctx.res.getHeader('content-length')) < COMPRESSION_THRESHOLD_BYTES;
}

export function requestFrame(registry: Registry, logger: Logger) {
  const durations = new RouteDurationHistogram(registry);
  let inFlight = 0;
  new Gauge({
    name: METRIC.httpServerActiveRequests,
    help: 'In-flight HTTP requests.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  const compression = compress({ threshold: COMPRESSION_THRESHOLD_BYTES });

  return async (ctx: AppContext, next: Next) => {
    const started = performance.now();
    const res = ctx.res;
    const incoming = ctx.req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    inFlight += 1;
    try {
      try {
        // Before the route, as koa-compress does: a route may replace Vary with its own. Nothing
        // before this sets Vary, so there is nothing to merge with (ctx.vary would parse it).
        res.setHeader('vary', 'Accept-Encoding');
        await next();
        // koa-compress's checks after the route, with nothing left to run inside it.
        if (!belowCompressionThreshold(ctx)) await compression(ctx, answered);
        const unanswered = unansweredRouteError(ctx);
        if (unanswered) throw unanswered;
      } catch (err) {
        renderError(ctx, err, logger);
      }
      if (ctx.req.headers.authorization && !res.hasHeader('cache-control')) ctx.set('cache-control', 'private, no-store');
    } finally {
      inFlight -= 1;
      const ms = performance.now() - started;
      durations.seriesOf(ctx.method, ctx.state.route ?? 'unmatched', ctx.status, ctx.state.slaClass ?? UNCLASSIFIED).observe(ms / 1000);
      ctx.set('x-response-time', `${ms.toFixed(2)}ms`);
    }
  };
}
