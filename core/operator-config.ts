/**
 * The operator process's configuration, read once from its environment and validated like the
 * platform's (`core/config.ts`). The install manifests are typed against `OperatorVariable`, so
 * they cannot set a variable the operator does not read.
 */
import { z } from 'zod';
import { parseEnvironment } from './config.js';

const OperatorEnvSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Namespace whose PassPlatforms this operator reconciles; empty or unset for all. */
  WATCH_NAMESPACE: z
    .string()
    .optional()
    .transform((v) => v || undefined),
  /** Namespace of the leader-election Lease, and this replica's identity in it (Downward API). */
  POD_NAMESPACE: z.string().min(1).default('default'),
  POD_NAME: z.string().min(1).optional(),
  /** Port of /metrics, /healthz, /readyz and /cost. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Window of the autoscaler's rate() and quantile queries: four of the ServiceMonitor's 15 s scrapes. */
  SIGNAL_WINDOW: z
    .string()
    .regex(/^\d+[smh]$/, 'SIGNAL_WINDOW must be a Prometheus duration such as 1m')
    .optional(),
  /** How long a SIGTERM waits for the work in flight before the process exits anyway. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(15_000),
});

export type OperatorConfig = z.infer<typeof OperatorEnvSchema>;
export type OperatorVariable = keyof z.input<typeof OperatorEnvSchema>;

export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  return parseEnvironment(OperatorEnvSchema, env);
}
