/**
 * Operator process entry (`node dist/operator/main.js` in the image, `npm run operator` from a
 * checkout): the operator, stopped gracefully on SIGTERM/SIGINT. Environment: `core/operator-config.ts`.
 */
import { runUntilSignalled } from '../core/service.js';
import { startOperator } from './run.js';

await runUntilSignalled(() => startOperator(), 'operator stopped');
