/**
 * The operator process's configuration, read once from its environment and validated like the
 * platform's (`core/config.ts`). The install manifests are typed against `OperatorVariable`, so
 * they cannot set a variable the operator does not read.
 */
import { z } from 'zod';
import { parseEnvironment } from './config.js';

/** A label name (optional DNS-subdomain prefix) and value as Kubernetes accepts them. */
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * `release=kube-prometheus-stack,team=campus` (kubectl's label syntax) as a label map; an empty
 * text is no labels. Throws on anything Kubernetes would refuse, naming the offending pair.
 */
export function parseRuleLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', value, ...rest] = pair.split('=');
    if (value === undefined || rest.length || !LABEL_NAME.test(name.trim()) || !LABEL_VALUE.test(value.trim())) {
      throw new Error(`"${pair}" is not a label (expected name=value, e.g. release=kube-prometheus-stack)`);
    }
    labels[name.trim()] = value.trim();
  }
  return labels;
}

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
  /**
   * Who may read /metrics and /cost. `kubernetes` (the default, and what a cluster needs): a bearer
   * token the apiserver accepts (TokenReview) for a user RBAC lets `get` the path
   * (SubjectAccessReview), as ClusterRoles pass-operator-metrics-reader and pass-operator-cost-reader
   * grant. `none`: anyone who reaches the port (a checkout without a control plane's auth, tests).
   * The probes /healthz and /readyz are open either way.
   */
  METRICS_AUTHORIZATION: z.enum(['kubernetes', 'none']).default('kubernetes'),
  /** Window of the autoscaler's rate() and quantile queries: four of the ServiceMonitor's 15 s scrapes. */
  SIGNAL_WINDOW: z
    .string()
    .regex(/^\d+[smh]$/, 'SIGNAL_WINDOW must be a Prometheus duration such as 1m')
    .optional(),
  /** Runbook base URL of platforms whose spec.monitoring names none (chart value monitoring.runbookBaseUrl). */
  DEFAULT_RUNBOOK_BASE_URL: z
    .string()
    .optional()
    .transform((v) => v || undefined)
    .pipe(
      z
        .string()
        .regex(/^https?:\/\//, 'DEFAULT_RUNBOOK_BASE_URL must be an http(s) URL')
        .optional(),
    ),
  /** Labels on every platform's PrometheusRule, `name=value,…` (chart value monitoring.ruleLabels); a platform's own win. */
  DEFAULT_RULE_LABELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseRuleLabels(v ?? '');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `DEFAULT_RULE_LABELS: ${(error as Error).message}` });
        return z.NEVER;
      }
    }),
  /** How long a SIGTERM waits for the work in flight before the process exits anyway. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(15_000),
});

export type OperatorConfig = z.infer<typeof OperatorEnvSchema>;
export type OperatorVariable = keyof z.input<typeof OperatorEnvSchema>;

export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  return parseEnvironment(OperatorEnvSchema, env);
}
