/**
 * API process entry: tracing first (instrumentation patches koa, pg and ioredis as they load, so
 * the app is imported only afterwards), then the server, stopped gracefully on SIGTERM/SIGINT.
 *
 * `npm run build` also bundles the API into one file (scripts/bundle-api.ts), which starts in
 * about half the CPU; it is loaded unless tracing is on (its hooks can only patch modules loaded
 * one by one) or it is missing or older than the compiled modules (`tsx api/main.ts`, or `tsc` alone).
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runUntilSignalled } from '../core/service.js';
import { startTelemetry } from '../core/telemetry.js';
import type * as Run from './run.js';

const telemetry = startTelemetry('passplatform-api');
const bundle = fileURLToPath(new URL('./run.bundle.mjs', import.meta.url));
const modules = fileURLToPath(new URL('./run.js', import.meta.url));
const bundled = !telemetry.enabled && existsSync(bundle) && existsSync(modules) && statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
const { startApi } = (await import(bundled ? './run.bundle.mjs' : './run.js')) as typeof Run;
await runUntilSignalled(() => startApi(), 'api stopped');
