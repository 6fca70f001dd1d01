/**
 * Reads a route's JSON body — only for routes that declare one, and only after the caller is
 * authenticated and authorised (api/route.ts), so an anonymous client cannot make any route parse
 * a body. The text is read with a size limit (@koa/bodyparser), then its nesting depth is measured
 * in one linear pass before JSON.parse: a megabyte of `[[[[…` used to hold the event loop for up
 * to 0.9 s per request, and no request of ours nests deeper than a few levels.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Next } from 'koa';
import type { AppContext } from '../context.js';
import { AppError, badRequest, payloadTooLarge, unsupportedMediaType } from '../../domain/errors.js';

/**
 * Whether `text` has more than `limit` opening brackets at all: nesting deeper needs at least that
 * many. Counted with the native `indexOf`, so a small body (a gate's verification: two or three
 * brackets) is passed without walking its characters in JavaScript.
 */
function bracketsExceed(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) if (++count > limit) return true;
  }
  return false;
}

/** The deepest nesting of arrays and objects in JSON text; stops counting once past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  if (!bracketsExceed(text, limit)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function jsonBody(limitBytes: number, maxDepth: number) {
  const readText = bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: ['application/json'] },
    textLimit: limitBytes,
    encoding: 'utf-8',
    onError(err) {
      throw err;
    },
  });
  return async (ctx: AppContext, next: Next) => {
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (!hasBody) {
      ctx.request.body = {};
      return next();
    }
    if (!ctx.is('application/json')) throw unsupportedMediaType('application/json');
    if (ctx.request.length > limitBytes) throw payloadTooLarge(limitBytes);
    await readText(ctx, async () => undefined);
    const text = typeof ctx.request.body === 'string' ? ctx.request.body : '';
    if (jsonDepthExceeds(text, maxDepth)) {
      throw new AppError(400, 'BODY_TOO_DEEP', `The JSON body nests deeper than ${maxDepth} levels.`, { maxDepth });
    }
    try {
      ctx.request.body = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
    } catch {
      throw badRequest('The request body is not valid JSON.');
    }
    return next();
  };
}
