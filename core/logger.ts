import { pino, type Logger } from 'pino';

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'config.JWT_SECRET',
  'config.PASS_SIGNING_KEY',
  'config.DATABASE_URL',
  'config.DATABASE_REPLICA_URLS',
  'config.REDIS_URL',
  'config.REDIS_PASSWORD',
  'config.DATABASE_PASSWORD',
  'JWT_SECRET',
  'PASS_SIGNING_KEY',
  'REDIS_PASSWORD',
  'DATABASE_PASSWORD',
  'stringData',
  'data.privateKey',
];

/** Structured JSON logger with secrets redacted. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
