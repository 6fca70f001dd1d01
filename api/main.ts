/**
 * API process entry: tracing first (instrumentation patches koa, pg and ioredis as they load, so
 * the app is imported only afterwards), then the server, stopped gracefully on SIGTERM/SIGINT.
 */
import { runUntilSignalled } from '../core/service.js';
import { startTelemetry } from '../core/telemetry.js';

startTelemetry('passplatform-api');
const { startApi } = await import('./run.js');
await runUntilSignalled(() => startApi(), 'api stopped');
