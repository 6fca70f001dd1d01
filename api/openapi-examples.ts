/**
 * Examples in the OpenAPI document: the error envelope for every status the API answers with, and
 * a request body for every route that takes one, sampled from the route's own JSON Schema (so an
 * example cannot ask for a field the route would refuse; a test parses each with the route's zod schema).
 */
import type { JSONSchema7 } from 'json-schema';
import { sample } from 'openapi-sampler';

interface ErrorExample {
  summary: string;
  code: string;
  message: string;
  details?: unknown;
}

/** One example per status; `details` shows what clients can rely on for that code. */
export const ERROR_EXAMPLES: Record<number, ErrorExample> = {
  400: {
    summary: 'Invalid input',
    code: 'VALIDATION_FAILED',
    message: 'The request is not valid.',
    details: [{ path: ['body', 'email'], message: 'Invalid email address' }],
  },
  401: { summary: 'No or invalid token', code: 'UNAUTHORIZED', message: 'Authentication is required.' },
  403: { summary: 'Role not allowed', code: 'FORBIDDEN', message: 'You are not allowed to do this.' },
  404: { summary: 'Not found', code: 'NOT_FOUND', message: 'Student not found.' },
  405: {
    summary: 'Method not allowed (the Allow header lists the methods)',
    code: 'METHOD_NOT_ALLOWED',
    message: 'PUT is not allowed on /students; allowed: HEAD, GET, POST.',
    details: { allow: ['HEAD', 'GET', 'POST'] },
  },
  409: {
    summary: 'Conflict',
    code: 'DUPLICATE_STUDENT',
    message: 'A student with this email already exists.',
    details: { field: 'email' },
  },
  413: {
    summary: 'Body too large',
    code: 'PAYLOAD_TOO_LARGE',
    message: 'The request body exceeds 1048576 bytes.',
    details: { limitBytes: 1048576 },
  },
  415: {
    summary: 'Wrong content type',
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Expected application/json.',
    details: { expected: 'application/json' },
  },
  422: { summary: 'Valid but not possible now', code: 'INVALID_TRANSITION', message: 'An approved application cannot be rejected.' },
  429: {
    summary: 'Rate limited (see Retry-After)',
    code: 'RATE_LIMITED',
    message: 'Too many requests; retry later.',
    details: { retryAfterSeconds: 12 },
  },
  503: {
    summary: 'A dependency is down (see Retry-After)',
    code: 'SERVICE_UNAVAILABLE',
    message: 'A dependency is unavailable; retry later.',
  },
};

export const errorExampleName = (status: number) => `error${status}`;

/** `components.examples`: every error example under its name, as the envelope. */
export function errorExampleComponents(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(ERROR_EXAMPLES).map(([status, e]) => [
      errorExampleName(Number(status)),
      {
        summary: e.summary,
        value: { error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } },
      },
    ]),
  );
}

const DAY_MS = 86_400_000;
const isoDay = (now: Date, days: number) => new Date(Math.floor(now.getTime() / DAY_MS + days) * DAY_MS).toISOString();

/**
 * Bodies a person would send, where a sample from the schema alone would be refused (rules across
 * fields, such as validUntil after validFrom) or useless (the demo login). Dates are relative to
 * when the document is built, so the examples stay valid.
 */
function writtenExamples(now: Date): Record<string, unknown> {
  return {
    'post /auth/login': { email: 'staff@university.edu', password: 'TestPassword123!' },
    'post /students': {
      studentId: 'CS2023001234',
      firstName: 'Aisha',
      lastName: 'Okafor',
      email: 'aisha.okafor@university.edu',
      programme: 'computer-science',
      yearOfStudy: 2,
    },
    'patch /students/:id': { status: 'suspended' },
    'post /passes': { studentId: '8d0f5c1e-2b7a-4c39-9b1e-5f0a3c2d7e61', passType: 'standard', validUntil: isoDay(now, 180) },
    'post /applications': {
      passType: 'standard',
      reason: 'Access to the engineering labs for my final-year project',
      validFrom: isoDay(now, 1),
      validUntil: isoDay(now, 120),
    },
  };
}

/**
 * A request body for a route: the written one when there is one, else sampled from the schema
 * (required fields only, formats and patterns honoured: uuid, date-time, e-mail, enums).
 */
export function requestExample(route: { method: string; path: string }, schema: Record<string, unknown>, now = new Date()): unknown {
  const written = writtenExamples(now)[`${route.method} ${route.path}`];
  return written ?? sample(schema as JSONSchema7, { skipReadOnly: true, skipNonRequired: true, enablePatterns: true, quiet: true });
}
