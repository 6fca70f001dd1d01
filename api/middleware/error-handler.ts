import type { Logger } from '../../core/logger.js';
import { isConnectionError } from '../../core/db.js';
import type { AppContext } from '../context.js';
import { AppError } from '../../domain/errors.js';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: string;
  message?: string;
  type?: string;
}

/** Maps what was thrown to an AppError; unknown failures become an opaque 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpLikeError;
  const status = e.status ?? e.statusCode;
  // Errors from koa/http-errors (body parser: invalid JSON, too large, bad encoding).
  if (status && status >= 400 && status < 500 && e.expose !== false) {
    const message = e.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : (e.message ?? 'Bad request.');
    return new AppError(status, STATUS_CODES[status] ?? 'BAD_REQUEST', message);
  }
  if (isConnectionError(err) || (e.message ?? '').includes("Stream isn't writeable") || e.message === 'Connection is closed.') {
    return new AppError(503, 'SERVICE_UNAVAILABLE', 'A dependency is unavailable; retry later.', undefined, { 'Retry-After': '5' });
  }
  // Postgres data exceptions (class 22) mean bad input slipped past validation; never a 500.
  if (typeof e.code === 'string' && e.code.startsWith('22')) {
    return new AppError(400, 'BAD_REQUEST', 'A value in the request is out of range or malformed.');
  }
  if (e.code === '23505') return new AppError(409, 'CONFLICT', 'A resource with these values already exists.');
  return new AppError(500, 'INTERNAL', 'Something went wrong on our side.');
}

/**
 * The router leaves a 404 (no route), 405 (path known, method not: it sets `Allow`) or 501 (method
 * unknown to the router, on any path) without a body; they get the envelope like every other failure. A 501
 * becomes a 405 too: TRACE or PROPFIND on a known path is a client's mistake the `Allow` header
 * answers, not a fault of the server (a 5xx would page on-call for someone else's request). `Allow`
 * stays on the response, and its methods go into `details` for clients that only read the body.
 */
export function unansweredRouteError(ctx: AppContext): AppError | undefined {
  if (ctx.body !== undefined && ctx.body !== null) return undefined;
  const where = `${ctx.method} ${ctx.path}`;
  const allow = String(ctx.response.get('Allow') ?? '');
  const allowed = allow ? allow.split(/,\s*/) : [];
  // The router answers 501 to a method it does not implement whether or not the path exists (with
  // an empty `Allow`): on a path no route has, that is a 404 like any other method's.
  if (ctx.status === 404 || (ctx.status === 501 && allowed.length === 0)) {
    ctx.remove('Allow');
    return new AppError(404, 'NOT_FOUND', `No route for ${where}.`);
  }
  if (ctx.status === 405 || ctx.status === 501) {
    return new AppError(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}.`, { allow: allowed });
  }
  return undefined;
}

/** Turns what was thrown into the error envelope (api/middleware/request-frame.ts: one place for every failure). */
export function renderError(ctx: AppContext, err: unknown, logger: Logger): void {
  const appError = toAppError(err);
  if (appError.status >= 500) {
    logger.error({ err, requestId: ctx.state.requestId, route: ctx.state.route }, 'request failed');
  }
  ctx.status = appError.status;
  for (const [name, value] of Object.entries(appError.headers)) ctx.set(name, value);
  ctx.body = {
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details === undefined ? {} : { details: appError.details }),
    },
  };
}
