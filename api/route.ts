/**
 * Routes are declared as data: method, path, who may call it, its SLA class and zod schemas for
 * params, query and body. `mountRoutes` turns the declarations into @koa/router handlers with
 * authentication, authorisation and validation in front, and the OpenAPI document is generated
 * from the same declarations, so a route cannot exist without a stated access rule.
 */
import type Router from '@koa/router';
import type { Next } from 'koa';
import { z } from 'zod';
import type { SlaLabel } from '../core/sla.js';
import type { Actor } from '../domain/audit.js';
import type { AppContext, AppDeps, AuthUser, Role } from './context.js';
import { forbidden, unsupportedMediaType, validationFailed } from '../domain/errors.js';
import { authenticate } from './middleware/authenticate.js';
import { jsonBody } from './middleware/json-body.js';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** `public` routes need no token; any other value lists the roles allowed. */
export type Access = 'public' | readonly Role[];

/** The caller: always present on an authenticated route (authentication ran before the handler). */
export type CallerOf<A extends Access> = A extends 'public' ? AuthUser | undefined : AuthUser;

export interface RouteInput<P, Q, B, A extends Access = Access> {
  params: P;
  query: Q;
  body: B;
  user: CallerOf<A>;
}

/**
 * `data` already serialised as JSON (e.g. written by Postgres and kept so in the cache): it goes
 * into the envelope as it is, with no parse and no second `JSON.stringify` of a large answer.
 * As UTF-8 bytes, the envelope is bytes too: Koa then neither measures the body's UTF-8 length
 * nor encodes it again to send it.
 */
export class JsonText {
  constructor(readonly json: string | Buffer) {}

  get text(): string {
    return typeof this.json === 'string' ? this.json : this.json.toString('utf8');
  }
}

const DATA_OPEN = Buffer.from('{"data":');
const CLOSE = Buffer.from('}');

/** What a handler returns: data for the envelope, or nothing when it wrote `ctx.body` itself. */
export interface Reply {
  status?: number;
  /** Any JSON value, or a `JsonText` holding one already serialised. */
  data: unknown;
  pagination?: { nextCursor: string | null };
}

/**
 * What a success answer carries: JSON `data` of a schema (`list`: an array of it, with
 * `pagination`), or a body of other media types. Documented in the OpenAPI document and, under
 * NODE_ENV=test, checked on every reply, so a handler cannot answer what the document does not say.
 */
export type ResponseSpec = { data: z.ZodType; list?: true } | { media: readonly string[] };

export type StreamedMediaType = 'multipart/form-data' | 'application/octet-stream';

export interface RouteSpec<P = unknown, Q = unknown, B = unknown, A extends Access = Access> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  access: A;
  sla: SlaLabel;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * A body the handler streams itself (never buffered as JSON): its media type, which the request
   * must carry (415 otherwise) and the OpenAPI document states as the request body.
   */
  streamedBody?: StreamedMediaType;
  /**
   * `false` when a successful call changes nothing the caller reads back through a replica, so it
   * need not send their reads to the primary afterwards (api/read-your-writes.ts: that costs a
   * Redis write per call). Every other authenticated route that is not a GET marks its caller.
   */
  readYourWrites?: false;
  /** Extra middleware run after authorisation and before validation (e.g. a stricter rate limit). */
  before?: ((ctx: AppContext, next: Next) => Promise<void>)[];
  /** Response descriptions by status for the OpenAPI document. */
  responses?: Record<number, string>;
  /** The success answer's body; routes answering 204 have none. */
  response?: ResponseSpec;
  handler: (ctx: AppContext, input: RouteInput<P, Q, B, A>) => Promise<Reply | void>;
}

/** Declares a route with its input types inferred from the schemas and its caller from its access. */
export function defineRoute<P = undefined, Q = undefined, B = undefined, const A extends Access = Access>(
  spec: RouteSpec<P, Q, B, A>,
): RouteSpec<P, Q, B, A> {
  return spec;
}

/** What the routes of one area share: their OpenAPI tag and their SLA class. */
export interface RouteGroup {
  tag: string;
  sla: SlaLabel;
}

/** A route of a group: its declaration without the group's tag and SLA class. */
export type GroupedRouteSpec<P, Q, B, A extends Access> = Omit<RouteSpec<P, Q, B, A>, 'tag' | 'sla'>;

/**
 * The `defineRoute` of one area: its routes state their tag and SLA class once, here, instead of
 * on every declaration (the SLA class labels every request's metrics, so a route cannot lack one).
 */
export function routeGroup(group: RouteGroup) {
  return function groupRoute<P = undefined, Q = undefined, B = undefined, const A extends Access = Access>(
    spec: GroupedRouteSpec<P, Q, B, A>,
  ): RouteSpec<P, Q, B, A> {
    return { ...spec, tag: group.tag, sla: group.sla };
  };
}

/** The caller as the actor of an audited action (domain/audit.ts): who, and in which request. */
export function actorOf(ctx: AppContext, user: AuthUser): Actor & { id: string } {
  return { id: user.id, requestId: ctx.state.requestId };
}

// Routes of different input types live in one list; their handlers only ever see their own input.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any, any>;

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw validationFailed(
      result.error.issues.map((issue) => ({ in: where, path: issue.path.join('.'), message: issue.message, code: issue.code })),
    );
  }
  return result.data;
}

/** The schema a reply's `data` must match, when the route declares JSON data. */
function replySchema(route: AnyRoute): z.ZodType | undefined {
  if (!route.response || !('data' in route.response)) return undefined;
  return route.response.list ? z.array(route.response.data) : route.response.data;
}

/** Refuses (as a 500, loudly) a reply its declared schema does not describe. */
function checkReply(route: AnyRoute, schema: z.ZodType, reply: Reply): void {
  const result = schema.safeParse(reply.data instanceof JsonText ? JSON.parse(reply.data.text) : reply.data);
  const listed = route.response !== undefined && 'data' in route.response && route.response.list === true;
  if (result.success && listed === (reply.pagination !== undefined)) return;
  const problems = result.success ? 'pagination does not match the declaration' : z.prettifyError(result.error);
  throw new Error(`${route.method.toUpperCase()} ${route.path} answered data its response schema does not describe: ${problems}`);
}

function requireMediaType(type: StreamedMediaType) {
  return async (ctx: AppContext, next: Next) => {
    if (!ctx.is(type)) throw unsupportedMediaType(type);
    return next();
  };
}

/**
 * After an authenticated call returns: its caller is counted as active (api/active-users.ts: a Set
 * add), and a successful write sends the caller's reads to the primary for a while
 * (api/read-your-writes.ts). Only authenticated routes run it, so probes and public routes pay nothing.
 */
function afterAuthenticatedCall(deps: AppDeps, route: AnyRoute) {
  const marksWrite = route.method !== 'get' && route.readYourWrites !== false;
  return async (ctx: AppContext, next: Next) => {
    await next();
    const user = ctx.state.user;
    if (!user) return;
    deps.activeUsers.note(user.id);
    if (marksWrite && ctx.status < 400) await deps.readYourWrites.markWrite(user.id);
  };
}

function authorize(roles: readonly Role[]) {
  return (ctx: AppContext, next: Next) => {
    const user = ctx.state.user;
    if (!user || !roles.includes(user.role)) throw forbidden();
    return next();
  };
}

/** What `ctx.type = 'application/json'` sets, without its look-up on every answer. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The success body: `{"data": …}`, with `pagination` on lists. */
function envelope(reply: Reply): string | Buffer {
  const pagination = reply.pagination ? `,"pagination":${JSON.stringify(reply.pagination)}` : '';
  if (reply.data instanceof JsonText) {
    const json = reply.data.json;
    if (typeof json === 'string') return `{"data":${json}${pagination}}`;
    return Buffer.concat([DATA_OPEN, json, ...(pagination ? [Buffer.from(pagination)] : []), CLOSE]);
  }
  return JSON.stringify(reply.pagination ? { data: reply.data, pagination: reply.pagination } : { data: reply.data });
}

export function mountRoutes(router: Router<AppContext['state'], AppContext>, routes: AnyRoute[], deps: AppDeps): void {
  for (const route of routes) {
    const checkedAgainst = deps.config.NODE_ENV === 'test' ? replySchema(route) : undefined;
    // Plain functions where nothing is awaited: koa-compose turns a throw into a rejection.
    const middleware = [
      (ctx: AppContext, next: Next) => {
        ctx.state.route = route.path;
        ctx.state.slaClass = route.sla;
        return next();
      },
      ...(route.access === 'public' ? [] : [authenticate(deps), afterAuthenticatedCall(deps, route), authorize(route.access)]),
      ...(route.before ?? []),
      // Bodies are read only by routes that take one, and only once the caller is known.
      ...(route.body ? [jsonBody(deps.config.BODY_LIMIT_BYTES, deps.config.BODY_MAX_DEPTH)] : []),
      ...(route.streamedBody ? [requireMediaType(route.streamedBody)] : []),
      async (ctx: AppContext) => {
        // Only what the route declares is read: Koa parses the query string anew for each request.
        const input = {
          params: route.params ? parse(route.params, ctx.params, 'params') : undefined,
          query: route.query ? parse(route.query, ctx.query, 'query') : undefined,
          body: route.body ? parse(route.body, (ctx.request as { body?: unknown }).body ?? {}, 'body') : undefined,
          user: ctx.state.user,
        };
        const reply = await route.handler(ctx, input);
        if (!reply) return;
        if (checkedAgainst) checkReply(route, checkedAgainst, reply);
        ctx.status = reply.status ?? 200;
        // Serialised here, once: an object body is stringified by Koa to measure it (compression
        // asks its length) and then again to send it.
        ctx.set('content-type', JSON_CONTENT_TYPE);
        ctx.body = envelope(reply);
      },
    ];
    router[route.method](route.path, ...(middleware as Parameters<typeof router.get>[1][]));
  }
}
