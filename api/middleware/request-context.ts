import { randomUUID } from 'node:crypto';
import type { Next } from 'koa';
import type { AppContext } from '../context.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives each request an id (kept from `X-Request-Id` when well-formed) and an `X-Response-Time`. */
export function requestContext() {
  return async (ctx: AppContext, next: Next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    ctx.state.requestId = INCOMING_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.set('X-Response-Time', `${ms.toFixed(2)}ms`);
    }
  };
}
