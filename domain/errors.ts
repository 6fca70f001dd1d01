/**
 * Typed errors the API throws; the error middleware turns each into the response envelope
 * `{"error": {"code", "message", "details"}}` with its status. Anything else becomes a 500
 * whose message never reaches the client.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'BAD_REQUEST', message, details);
export const validationFailed = (details: unknown) => new AppError(400, 'VALIDATION_FAILED', 'The request is not valid.', details);
export const unauthorized = (message = 'Authentication is required.', code = 'UNAUTHORIZED') =>
  new AppError(401, code, message, undefined, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (message = 'You are not allowed to do this.') => new AppError(403, 'FORBIDDEN', message);
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found.`);
export const conflict = (message: string, code = 'CONFLICT', details?: unknown) => new AppError(409, code, message, details);
export const payloadTooLarge = (limitBytes: number) =>
  new AppError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limitBytes} bytes.`, { limitBytes });
export const unsupportedMediaType = (expected: string) =>
  new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `Expected ${expected}.`, { expected });
export const unprocessable = (message: string, code = 'UNPROCESSABLE', details?: unknown) => new AppError(422, code, message, details);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(
    429,
    'RATE_LIMITED',
    'Too many requests; retry later.',
    { retryAfterSeconds },
    {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    },
  );
export const serviceUnavailable = (message = 'A dependency is unavailable; retry later.') =>
  new AppError(503, 'SERVICE_UNAVAILABLE', message, undefined, { 'Retry-After': '5' });
