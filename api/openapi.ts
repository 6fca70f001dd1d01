/**
 * The OpenAPI 3.1 document, generated from the route declarations (zod schemas → JSON Schema),
 * so it cannot drift from what the API validates.
 */
import { z } from 'zod';
import type { AnyRoute } from './route.js';

const ErrorEnvelope = {
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

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
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

export function buildOpenApi(routes: AnyRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(route.responses ?? { 200: 'OK' })) {
      responses[status] = Number(status) >= 400 ? { description, content: { 'application/json': { schema: ErrorEnvelope } } } : { description };
    }
    responses['400'] ??= { description: 'Invalid input', content: { 'application/json': { schema: ErrorEnvelope } } };
    if (route.access !== 'public') {
      responses['401'] ??= { description: 'Not authenticated', content: { 'application/json': { schema: ErrorEnvelope } } };
      responses['403'] ??= { description: `Only ${route.access.join(', ')} may call this`, content: { 'application/json': { schema: ErrorEnvelope } } };
    }
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      'x-roles': route.access,
      'x-sla-class': route.sla,
      security: route.access === 'public' ? [] : [{ bearer: [] }],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'PassPlatform API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
