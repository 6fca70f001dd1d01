/**
 * The OpenAPI 3.1 document, generated from the route declarations (zod schemas → JSON Schema),
 * so it cannot drift from what the API validates.
 */
import { z } from 'zod';
import { ERROR_EXAMPLES, errorExampleComponents, errorExampleName, requestExample } from './openapi-examples.js';
import type { AnyRoute, ResponseSpec, StreamedMediaType } from './route.js';

const ErrorEnvelopeSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const ErrorEnvelope = { $ref: '#/components/schemas/ErrorEnvelope' };

/** An error response: the envelope, with the example for its status when there is one. */
function errorResponse(status: number, description: string) {
  const example = ERROR_EXAMPLES[status]
    ? { examples: { [ERROR_EXAMPLES[status].code]: { $ref: `#/components/examples/${errorExampleName(status)}` } } }
    : {};
  return { description, content: { 'application/json': { schema: ErrorEnvelope, ...example } } };
}

const API_DESCRIPTION = [
  'Student passes, applications, gate verification, access logs, uploads and reports.',
  '',
  'Log in with `POST /auth/login` and send `Authorization: Bearer <data.token>`; every route lists the roles that may call it (`x-roles`).',
  'Success is `{"data": …}` (lists add `"pagination": {"nextCursor": …}`). Every failure is `{"error": {"code", "message", "details"}}`',
  'with its status: 400 invalid input, 401, 403, 404, 405 (with `Allow`), 409, 413, 415, 422, 429 and 503 (both with `Retry-After`).',
].join('\n');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const Pagination = {
  type: 'object',
  required: ['nextCursor'],
  properties: { nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last one' } },
  additionalProperties: false,
};

/** The success answer's content: the `{data}` envelope around the declared schema, or the declared media types. */
function successContent(response: ResponseSpec | undefined): Record<string, unknown> | undefined {
  if (!response) return undefined;
  if ('media' in response) return Object.fromEntries(response.media.map((type) => [type, { schema: { type: 'string' } }]));
  const data = jsonSchema(response.list ? z.array(response.data) : response.data, 'output');
  const schema = response.list
    ? { type: 'object', required: ['data', 'pagination'], properties: { data, pagination: Pagination }, additionalProperties: false }
    : { type: 'object', required: ['data'], properties: { data }, additionalProperties: false };
  return { 'application/json': { schema } };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** What a streamed body holds: one file (and its optional checksum) in a form, or the raw bytes. */
const STREAMED_SCHEMAS: Record<StreamedMediaType, Record<string, unknown>> = {
  'multipart/form-data': {
    type: 'object',
    required: ['file'],
    properties: {
      file: { type: 'string', format: 'binary' },
      checksum: { type: 'string', description: 'SHA-256 of the file, hex (or send X-Checksum-SHA256)' },
    },
  },
  'application/octet-stream': { type: 'string', format: 'binary' },
};

function requestBody(route: AnyRoute) {
  if (route.streamedBody) return { required: true, content: { [route.streamedBody]: { schema: STREAMED_SCHEMAS[route.streamedBody] } } };
  if (!route.body) return undefined;
  const schema = jsonSchema(route.body);
  return { required: true, content: { 'application/json': { schema, example: requestExample(route, schema) } } };
}

export function buildOpenApi(routes: AnyRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(route.responses ?? { 200: 'OK' })) {
      const content = Number(status) < 300 && Number(status) !== 204 ? successContent(route.response) : undefined;
      responses[status] =
        Number(status) >= 400 ? errorResponse(Number(status), description) : { description, ...(content ? { content } : {}) };
    }
    responses['400'] ??= errorResponse(400, 'Invalid input');
    if (route.params) responses['404'] ??= errorResponse(404, 'No such resource');
    const body = requestBody(route);
    if (body) {
      responses['413'] ??= errorResponse(413, 'Body larger than the limit');
      responses['415'] ??= errorResponse(415, `Not ${Object.keys(body.content).join(' or ')}`);
    }
    if (route.access !== 'public') {
      responses['401'] ??= errorResponse(401, 'Not authenticated');
      responses['403'] ??= errorResponse(403, `Only ${route.access.join(', ')} may call this`);
    }
    responses['429'] ??= errorResponse(429, 'Rate limited; retry after Retry-After seconds');
    responses['503'] ??= errorResponse(503, 'A dependency is unavailable; retry after Retry-After seconds');
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      'x-roles': route.access,
      'x-sla-class': route.sla,
      security: route.access === 'public' ? [] : [{ bearer: [] }],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(body ? { requestBody: body } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'PassPlatform API', version, description: API_DESCRIPTION },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { ErrorEnvelope: ErrorEnvelopeSchema },
      examples: errorExampleComponents(),
    },
    paths,
  };
}
