/**
 * Operator process entry (`node dist/operator/main.js` in the image, `npm run operator` from a
 * checkout): tracing first (instrumentation patches http and koa as they load, so the operator is
 * imported only afterwards), then the operator, stopped gracefully on SIGTERM/SIGINT, as the API
 * and the workers are. Environment: `core/operator-config.ts`.
 */
import { runUntilSignalled } from '../core/service.js';
import { startTelemetry } from '../core/telemetry.js';

startTelemetry('pass-operator');
const { startOperator } = await import('./run.js');
await runUntilSignalled(() => startOperator(), 'operator stopped');
