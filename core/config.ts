/**
 * Typed configuration read once from the environment. Every value is validated; a bad value stops
 * the process with a message naming the variable, never a stack trace from deep inside a driver.
 */
import { z } from 'zod';
import { RATE_LIMIT_DEFAULTS } from './rate-limit-defaults.js';

const csv = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),

  DATABASE_URL: z.url({ message: 'DATABASE_URL must be a postgres:// URL' }),
  DATABASE_REPLICA_URLS: csv,
  /**
   * Credentials for any database URL above that carries none (CloudNativePG's `-app` Secret gives
   * them separately, and the `-ro` Service's URL is built without them).
   */
  DATABASE_USER: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().min(1).optional(),
  DATABASE_POOL_MAX: positiveInt(20),
  /** Reads by a caller who wrote within this window go to the primary (read-your-writes). */
  READ_YOUR_WRITES_MS: positiveInt(5_000),
  /** A replica further behind than this is skipped. */
  REPLICA_MAX_LAG_MS: positiveInt(10_000),
  REPLICA_CHECK_INTERVAL_MS: positiveInt(2_000),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(30_000),

  REDIS_URL: z.string().optional(),
  /** Comma-separated host:port seeds; when set, Redis is used in cluster mode. */
  REDIS_CLUSTER_NODES: csv,
  /** Prefix of every key this deployment writes; tests use one per file. */
  REDIS_KEY_PREFIX: z.string().default('pp:'),
  /** Password for Redis (AUTH), unless REDIS_URL carries one. */
  REDIS_PASSWORD: z.string().min(1).optional(),

  /** HMAC secret for access tokens (HS256), at least 32 bytes. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters'),
  JWT_ISSUER: z.string().default('passplatform'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt(30 * 24 * 3600),

  /** Ed25519 private key (PKCS#8 PEM) that signs pass QR tokens, and its key id. */
  PASS_SIGNING_KEY: z.string().optional(),
  PASS_SIGNING_KEY_ID: z.string().default('k1'),
  /** Extra public keys still accepted for verification during rotation: JSON {"kid":"PEM",…}. */
  PASS_VERIFY_KEYS: z.string().optional(),

  RATE_LIMIT_PER_MINUTE: positiveInt(RATE_LIMIT_DEFAULTS.requestsPerMinute),
  /** Token refreshes per client per window (logins are limited by their failures instead). */
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt(RATE_LIMIT_DEFAULTS.refreshesPerMinute),
  /** Length of the rate-limit window; the limits above are per window (named per minute at the default). */
  RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
  /** Consecutive failed logins for one account from one address before that pair waits 15 minutes. */
  LOGIN_FAILURES_PER_ACCOUNT: positiveInt(RATE_LIMIT_DEFAULTS.loginFailuresPerAccount),
  /** Failed logins from one address (any accounts) per hour before that address waits an hour. */
  LOGIN_FAILURES_PER_ADDRESS: positiveInt(RATE_LIMIT_DEFAULTS.loginFailuresPerAddress),
  /** Proxies trusted for X-Forwarded-For (behind the Kubernetes Service / ingress). */
  TRUST_PROXY: bool,

  CACHE_TTL_SECONDS: positiveInt(300),
  CACHE_LOCAL_MAX_ENTRIES: positiveInt(5_000),
  CACHE_LOCAL_TTL_MS: positiveInt(30_000),

  /** JSON bodies: the largest request of ours (a student record, an application) is a few KiB. */
  BODY_LIMIT_BYTES: positiveInt(64 * 1024),
  /** Deepest nesting of arrays and objects accepted in a JSON body. */
  BODY_MAX_DEPTH: positiveInt(16),
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
  /** A request whose headers have not all arrived after this long is answered 408 and its connection closed. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  /** A request whose body has not all arrived after this long is answered 408 (a 100 MB chunked upload sends 5 MB parts). */
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(120_000),
  /**
   * Where uploads and reports live (core/storage/): `filesystem` under STORAGE_DIR (one machine,
   * `npm start`), or `s3`, an S3-compatible bucket every API and worker pod shares (AWS S3,
   * SeaweedFS, Ceph RGW…). See objectStorageSettings() for what `s3` requires.
   */
  OBJECT_STORAGE: z.enum(['filesystem', 's3']).default('filesystem'),
  STORAGE_DIR: z.string().default('.data/storage'),
  /** S3 API endpoint URL; unset means AWS S3 itself (the SDK derives it from the region). */
  S3_ENDPOINT: z.url({ message: 'S3_ENDPOINT must be an http(s):// URL' }).optional(),
  S3_BUCKET: z.string().min(3, 'S3_BUCKET must name a bucket (3-63 characters)').max(63).optional(),
  /** Falls back to the SDK's standard AWS_REGION. */
  S3_REGION: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  /** Path-style URLs (endpoint/bucket/key): what most self-hosted servers need (SeaweedFS, Ceph RGW). */
  S3_FORCE_PATH_STYLE: bool,
  /**
   * The AWS SDK's standard static credentials. Unset, the SDK's default chain applies (web
   * identity / IRSA, instance or container roles); set, both must be.
   */
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),

  /** Real-time feeds (WebSocket /realtime/ws and SSE /realtime/events): sockets one API process accepts. */
  REALTIME_MAX_CONNECTIONS: positiveInt(20_000),
  REALTIME_MAX_CONNECTIONS_PER_USER: positiveInt(20),
  /** A socket whose unsent bytes pass this is cut off as a slow consumer (it resumes on reconnect). */
  REALTIME_MAX_BUFFERED_BYTES: positiveInt(1024 * 1024),
  /** Pings (WebSocket) or comments (SSE) this often; a WebSocket silent for two of them is dead. */
  REALTIME_HEARTBEAT_MS: positiveInt(30_000),
  /** How long a WebSocket may take to send its `auth` message when it brought no token. */
  REALTIME_AUTH_TIMEOUT_MS: positiveInt(5_000),
  /** Messages kept per user (and per feed) for resuming after a reconnect, and how long a user's are kept. */
  REALTIME_HISTORY_LENGTH: positiveInt(100),
  REALTIME_HISTORY_TTL_SECONDS: positiveInt(7 * 24 * 3600),
  /** On SIGTERM, sockets are closed with 1001 spread over this long, so clients do not reconnect all at once. */
  REALTIME_DRAIN_SPREAD_MS: z.coerce.number().int().min(0).default(5_000),

  /** How often each API process re-reads recent pass revocations from Postgres (covers missed pub/sub messages). */
  PASS_REVOCATION_SYNC_MS: positiveInt(5_000),
  /** How often each API process re-reads recently revoked login sessions from Postgres (covers missed pub/sub messages). */
  SESSION_REVOCATION_SYNC_MS: positiveInt(5_000),
  /** Access logs are written in batches: at most this long after a verification, or once this many are buffered. */
  ACCESS_LOG_FLUSH_MS: positiveInt(250),
  ACCESS_LOG_BATCH_SIZE: positiveInt(500),
  /**
   * Local journal of access logs (fsynced before a verification is answered, replayed into
   * Postgres at start and whenever Postgres is back). One API process per directory; in a pod, an
   * emptyDir or volume that survives container restarts.
   */
  ACCESS_LOG_SPILL_DIR: z.string().default('.data/access-log-spill'),
  /** Monthly access-log partitions kept ready beyond the current month. */
  ACCESS_LOG_PARTITIONS_AHEAD: positiveInt(3),
  /** How long the last gate direction of a pass is remembered (anti-passback). */
  ANTI_PASSBACK_WINDOW_SECONDS: positiveInt(12 * 3600),

  /** Which queues this workers process consumes: `uploads`, `reports` or both. */
  WORKER_QUEUES: z
    .string()
    .default('uploads,reports')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['uploads', 'reports'])).min(1)),
  UPLOAD_WORKER_CONCURRENCY: positiveInt(4),
  REPORT_WORKER_CONCURRENCY: positiveInt(2),
  /**
   * The container's CPU request in millicores, set by the pod through the downward API; exported
   * as passplatform_process_cpu_request_cores, what the CPU alert divides by (pods have no CPU limit).
   */
  CPU_REQUEST_MILLICORES: z.coerce.number().int().min(1).optional(),
  /** Port of the workers' /metrics and /health endpoint (0 picks a free one). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Interface the workers' metrics server listens on: loopback unless Prometheus must reach it (a pod sets 0.0.0.0). */
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  /**
   * Bearer token a scrape of /metrics (API and workers) must present (core/metrics-access.ts). The
   * operator generates it in the platform's keys Secret and gives it to Prometheus through the
   * ServiceMonitor. Unset: /metrics is open (development); production refuses to start.
   */
  METRICS_TOKEN: z.string().min(32, 'METRICS_TOKEN must be at least 32 characters').optional(),
  /**
   * A job whose worker stops renewing its lock for this long is taken back as stalled; workers
   * look for such jobs every WORKER_STALLED_INTERVAL_MS. A killed worker's jobs thus run again
   * within lock + interval (15 s by default, was ~70 s with BullMQ's 30 s + 30 s). The lock is
   * renewed every half lock duration, so a job's event loop must not block for 5 s at a stretch
   * (image work runs on libuv threads; a false stall only runs an idempotent job twice).
   */
  WORKER_LOCK_DURATION_MS: positiveInt(10_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt(5_000),
  JOB_ATTEMPTS: positiveInt(5),
  /** First retry delay; each further retry doubles it. */
  JOB_BACKOFF_MS: positiveInt(2_000),
  /** Test-only (honoured when NODE_ENV=test): the processors pause this long mid-job. */
  WORKER_TEST_DELAY_MS: z.coerce.number().int().min(0).default(0),
  UPLOAD_MAX_BYTES: positiveInt(5 * 1024 * 1024),
  CHUNKED_UPLOAD_MAX_BYTES: positiveInt(100 * 1024 * 1024),
  UPLOAD_PART_SIZE_BYTES: positiveInt(5 * 1024 * 1024),
  /** Identical report requests within one window of this length share one report. */
  REPORT_DEDUPE_WINDOW_SECONDS: positiveInt(300),
});

export type Config = z.infer<typeof EnvSchema>;

/**
 * The names of every variable the processes read. The pods the operator renders are typed against
 * this, so a variable the operator sets and no process reads does not compile.
 */
export type ConfigVariable = keyof z.input<typeof EnvSchema>;
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as ConfigVariable[];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses configuration from an environment map (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = withDatabaseCredentials(parseEnvironment(EnvSchema, env));
  const problems = objectStorageProblems(config);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return config;
}

/** What OBJECT_STORAGE=s3 needs beyond each variable's own validity, one line per problem. */
function objectStorageProblems(config: Config): string[] {
  const problems: string[] = [];
  const s3Only = (['S3_ENDPOINT', 'S3_BUCKET', 'S3_REGION'] as const).filter((name) => config[name] !== undefined);
  if (config.OBJECT_STORAGE !== 's3') {
    // Half-configured S3 would silently store on the pod's own disk: say so instead.
    if (s3Only.length > 0)
      problems.push(`OBJECT_STORAGE: is ${config.OBJECT_STORAGE} but ${s3Only.join(', ')} set; set OBJECT_STORAGE=s3 to use them`);
    return problems;
  }
  if (!config.S3_BUCKET) problems.push('S3_BUCKET: required when OBJECT_STORAGE=s3 (the bucket uploads and reports go to)');
  if (!config.S3_ENDPOINT && !config.S3_REGION && !config.AWS_REGION) {
    problems.push(
      'S3_REGION: required when OBJECT_STORAGE=s3 and S3_ENDPOINT is unset (AWS S3 is reached by region; AWS_REGION also works)',
    );
  }
  if (!config.AWS_ACCESS_KEY_ID !== !config.AWS_SECRET_ACCESS_KEY) {
    const missing = config.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    problems.push(
      `${missing}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set together or not at all (unset: the AWS SDK's default credential chain)`,
    );
  }
  return problems;
}

/** Validates an environment against a schema; every bad variable is named in one ConfigError. */
export function parseEnvironment<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): z.output<Schema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/**
 * A database URL with `user` and `password` put in when it names no user (CloudNativePG's `-app`
 * Secret gives the credentials apart from the Service's URL).
 */
export function withCredentials(raw: string, user: string | undefined, password: string | undefined): string {
  if (!user) return raw;
  const url = new URL(raw);
  if (url.username) return raw;
  // The URL setters percent-encode, so a password with any characters survives the round trip.
  url.username = user;
  if (password) url.password = password;
  return url.toString();
}

/** Puts DATABASE_USER / DATABASE_PASSWORD into the database URLs that name no user. */
function withDatabaseCredentials(config: Config): Config {
  const { DATABASE_USER: user, DATABASE_PASSWORD: password } = config;
  const complete = (raw: string): string => withCredentials(raw, user, password);
  return { ...config, DATABASE_URL: complete(config.DATABASE_URL), DATABASE_REPLICA_URLS: config.DATABASE_REPLICA_URLS.map(complete) };
}
