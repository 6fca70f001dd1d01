/**
 * Workers process entry (`npm run workers`): tracing first (instrumentation patches pg and
 * ioredis as they load, so the workers are imported only afterwards), then the queues' workers,
 * and a graceful stop on SIGTERM/SIGINT that lets the jobs in flight finish.
 */
import { runUntilSignalled } from '../core/service.js';
import { startTelemetry } from '../core/telemetry.js';

startTelemetry('passplatform-workers');
const { startWorkers } = await import('./run.js');
await runUntilSignalled(() => startWorkers(), 'workers stopped');
