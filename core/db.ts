/**
 * Postgres through knex/pg: one primary and any number of read replicas. Reads go to a healthy
 * replica that is not lagging; a replica that fails a query is marked down and the read is retried
 * on the primary, so the caller never sees a replica's failure.
 */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { DependencyBreaker, DependencyUnavailableError, withDeadline } from './breaker.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { METRIC } from './metric-names.js';
import { labelNamesOf } from './metric-labels.js';
import { PostgresProbe } from './postgres-probe.js';
import { replayLagSeconds, sampleReplay } from './replica-lag.js';
import { DB_QUERY_TARGETS, LATENCY_BUCKETS_SECONDS } from './sla.js';

// BIGINT counts become numbers (they stay far below 2^53); numeric stays a string (money-safe).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// Calendar dates stay 'YYYY-MM-DD' strings: a Date would shift them by the process time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export interface DatabaseOptions {
  primaryUrl: string;
  replicaUrls: string[];
  poolMax: number;
  maxReplicaLagMs: number;
  replicaCheckIntervalMs: number;
  statementTimeoutMs: number;
  logger: Logger;
  registry?: Registry;
}

/** Deadlines on every Postgres call besides the statement timeout (which the server enforces). */
export const DB_DEADLINES = {
  /** Opening a connection (TCP + startup); a hung server accepts TCP but never answers. */
  connectMs: 2_000,
  /** Waiting for a pooled connection. */
  acquireMs: 5_000,
  /**
   * Client-side bound past the statement timeout: a hung server cannot cancel its statements,
   * so the client gives up this long after the server should have.
   */
  queryGraceMs: 2_000,
  /** The probe query, and the replica lag check. */
  probeMs: 1_000,
  probeIntervalMs: 500,
} as const;

interface Replica {
  name: string;
  knex: Knex;
  healthy: boolean;
  lagSeconds: number;
  /** When a check last found it with everything it received replayed (bounds its lag: replica-lag.ts). */
  lastCaughtUpAtMs?: number;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
]);

/** True for errors that say the server is unreachable rather than that the query is wrong. */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; name?: string; message?: string; errors?: unknown[] };
  if (e.code && CONNECTION_ERROR_CODES.has(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  if (e.name === 'DeadlineExceededError' || e.name === 'DependencyUnavailableError') return true;
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Query read timeout/i.test(e.message ?? '');
}

export function createKnex(url: string, poolMax: number, statementTimeoutMs: number, logger?: Logger): Knex {
  return knexFactory({
    // knex prints its own warnings (e.g. every failed connection attempt) to the console; they
    // belong in the structured log, where a failing replica is already reported once.
    ...(logger
      ? {
          log: {
            warn: (message: unknown) => logger.debug({ knex: String(message) }, 'knex warning'),
            error: (message: unknown) => logger.warn({ knex: String(message) }, 'knex error'),
            deprecate: (method: string, alternative: string) => logger.debug({ method, alternative }, 'knex deprecation'),
            debug: () => undefined,
          },
        }
      : {}),
    client: 'pg',
    connection: {
      connectionString: url,
      statement_timeout: statementTimeoutMs,
      ...(statementTimeoutMs > 0 ? { query_timeout: statementTimeoutMs + DB_DEADLINES.queryGraceMs } : {}),
      connectionTimeoutMillis: DB_DEADLINES.connectMs,
      keepAlive: true,
      application_name: 'passplatform',
    },
    pool: {
      min: 0,
      max: poolMax,
      acquireTimeoutMillis: DB_DEADLINES.acquireMs,
      createTimeoutMillis: DB_DEADLINES.connectMs + 1_000,
      idleTimeoutMillis: 30_000,
    },
    acquireConnectionTimeout: DB_DEADLINES.acquireMs,
  });
}

/** The breaker of one process's primary: two consecutive failures open it, a trial after a second. */
export function createPostgresBreaker(logger?: Logger): DependencyBreaker {
  return new DependencyBreaker('postgres', {
    isOutage: isConnectionError,
    failuresToOpen: 2,
    halfOpenAfterMs: 1_000,
    ...(logger ? { logger } : {}),
  });
}

/**
 * Puts a pool behind `breaker`: taking a connection is refused at once while the breaker is not
 * closed, and the outcome of every query (transactions included, which report to the pool's
 * client) is counted. Failures to connect are counted where they happen, on acquire.
 */
export function guardPool(knex: Knex, breaker: DependencyBreaker): void {
  const client = knex.client as { acquireConnection(): Promise<unknown> };
  const acquire = client.acquireConnection.bind(client);
  client.acquireConnection = async () => {
    if (!breaker.isAvailable) throw new DependencyUnavailableError('postgres');
    try {
      return await acquire();
    } catch (err) {
      breaker.recordFailure(err);
      throw err;
    }
  };
  knex.on('query-error', (err: unknown) => {
    if (isConnectionError(err)) breaker.recordFailure(err);
    else breaker.recordSuccess();
  });
  knex.on('query-response', () => breaker.recordSuccess());
}

export class Database {
  /** The pools a process's configuration describes, with the replica monitor running. */
  static fromConfig(config: Config, logger: Logger, registry?: Registry): Database {
    const db = new Database({
      primaryUrl: config.DATABASE_URL,
      replicaUrls: config.DATABASE_REPLICA_URLS,
      poolMax: config.DATABASE_POOL_MAX,
      maxReplicaLagMs: config.REPLICA_MAX_LAG_MS,
      replicaCheckIntervalMs: config.REPLICA_CHECK_INTERVAL_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      logger,
      ...(registry ? { registry } : {}),
    });
    db.startReplicaMonitor();
    db.startProbe();
    return db;
  }

  readonly primary: Knex;
  /** Open while the primary is unreachable or hung: queries then fail at once (503) instead of waiting. */
  readonly breaker: DependencyBreaker;
  private readonly replicas: Replica[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private probe: PostgresProbe | undefined;

  constructor(private readonly options: DatabaseOptions) {
    this.primary = createKnex(options.primaryUrl, options.poolMax, options.statementTimeoutMs, options.logger);
    this.breaker = createPostgresBreaker(options.logger);
    guardPool(this.primary, this.breaker);
    this.replicas = options.replicaUrls.map((url, i) => ({
      name: `replica-${i}`,
      knex: createKnex(url, options.poolMax, options.statementTimeoutMs, options.logger),
      healthy: true,
      lagSeconds: 0,
    }));
    if (options.registry) this.registerMetrics(options.registry);
  }

  /** Starts the periodic replica health and lag check. */
  startReplicaMonitor(): void {
    if (this.replicas.length === 0 || this.timer) return;
    void this.checkReplicas();
    this.timer = setInterval(() => void this.checkReplicas(), this.options.replicaCheckIntervalMs);
    this.timer.unref();
  }

  /** Probes the primary so that a hung or stopped server opens the breaker without traffic, and its return closes it. */
  startProbe(): void {
    this.probe ??= new PostgresProbe({ url: this.options.primaryUrl, deadlineMs: DB_DEADLINES.probeMs });
    const probe = this.probe;
    this.breaker.startProbe(() => probe.probe(), DB_DEADLINES.probeIntervalMs, DB_DEADLINES.probeMs);
  }

  /** Runs a read on a replica when one is usable, else on the primary; replica failures fall back. */
  async read<T>(query: (db: Knex) => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
    const replica = opts.fresh ? undefined : this.pickReplica();
    if (!replica) return query(this.primary);
    try {
      return await query(replica.knex);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      replica.healthy = false;
      this.options.logger.warn({ replica: replica.name, err: (err as Error).message }, 'replica failed; read served by primary');
      return query(this.primary);
    }
  }

  /** Whether every replica is currently out of rotation (for readiness detail). */
  replicaStates(): { name: string; healthy: boolean; lagSeconds: number }[] {
    return this.replicas.map(({ name, healthy, lagSeconds }) => ({ name, healthy, lagSeconds }));
  }

  async checkReplicas(): Promise<void> {
    // A check still running when the next is due (a busy machine) is not overtaken: an older
    // sample landing after a newer one would put a stale verdict back.
    if (this.checking) return this.checking;
    this.checking = Promise.all(this.replicas.map((replica) => this.checkReplica(replica))).then(() => undefined);
    try {
      await this.checking;
    } finally {
      this.checking = undefined;
    }
  }

  private async checkReplica(replica: Replica): Promise<void> {
    try {
      const sampledAtMs = Date.now();
      // A hung replica must leave the rotation, not stall the check (and the reads behind it).
      const sample = await withDeadline(sampleReplay(replica.knex), DB_DEADLINES.probeMs, `${replica.name} lag check`);
      const lag = replayLagSeconds(sample, sampledAtMs, replica.lastCaughtUpAtMs);
      if (sample.caughtUp) replica.lastCaughtUpAtMs = sampledAtMs;
      replica.lagSeconds = lag;
      replica.healthy = lag * 1000 <= this.options.maxReplicaLagMs;
    } catch {
      replica.healthy = false;
    }
  }

  async ping(): Promise<void> {
    await this.primary.raw('select 1');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.breaker.stopProbe();
    this.probe?.close();
    const results = await Promise.allSettled([this.primary.destroy(), ...this.replicas.map((r) => r.knex.destroy())]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) this.options.logger.warn({ err: String(failed.reason) }, 'closing a database pool failed');
  }

  private pickReplica(): Replica | undefined {
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[(this.next + i) % this.replicas.length];
      if (replica?.healthy) {
        this.next = (this.next + i + 1) % this.replicas.length;
        return replica;
      }
    }
    return undefined;
  }

  private registerMetrics(registry: Registry): void {
    const pools = [{ name: 'primary', knex: this.primary }, ...this.replicas.map((r) => ({ name: r.name, knex: r.knex }))];
    timeQueries(registry, pools);
    new Gauge({
      name: METRIC.dbPoolConnections,
      help: 'Database pool connections by state.',
      labelNames: labelNamesOf('dbPoolConnections'),
      registers: [registry],
      collect() {
        for (const { name, knex } of pools) {
          const pool = knex.client.pool as { numUsed(): number; numFree(): number; numPendingAcquires(): number } | undefined;
          if (!pool) continue;
          this.set({ pool: name, state: 'used' }, pool.numUsed());
          this.set({ pool: name, state: 'idle' }, pool.numFree());
          this.set({ pool: name, state: 'waiting' }, pool.numPendingAcquires());
        }
      },
    });
    const poolMax = this.options.poolMax;
    new Gauge({
      name: METRIC.dbPoolMax,
      help: 'Maximum connections of each database pool.',
      labelNames: labelNamesOf('dbPoolMax'),
      registers: [registry],
      collect() {
        for (const { name } of pools) this.set({ pool: name }, poolMax);
      },
    });
    const replicas = this.replicas;
    new Gauge({
      name: METRIC.dbReplicaLag,
      help: 'Replication lag of each read replica, seconds.',
      labelNames: labelNamesOf('dbReplicaLag'),
      registers: [registry],
      collect() {
        for (const r of replicas) this.set({ replica: r.name }, r.lagSeconds);
      },
    });
    new Gauge({
      name: METRIC.dbReplicaHealthy,
      help: '1 when a read replica is in rotation, 0 when skipped.',
      labelNames: labelNamesOf('dbReplicaHealthy'),
      registers: [registry],
      collect() {
        for (const r of replicas) this.set({ replica: r.name }, r.healthy ? 1 : 0);
      },
    });
  }
}

interface QueryEvent {
  __knexQueryUid?: string;
  method?: string;
}

/**
 * Query duration per pool and operation (OpenTelemetry's `db.client.operation.duration`), from
 * knex's query events. Read QPS per replica, which the autoscaler sizes replicas on, is its rate;
 * the buckets include the seed's DB targets (50 ms simple, 200 ms joins).
 */
function timeQueries(registry: Registry, pools: { name: string; knex: Knex }[]): void {
  const histogram = new Histogram({
    name: METRIC.dbClientOperationDuration,
    help: 'Duration of database operations, by pool and operation.',
    labelNames: labelNamesOf('dbClientOperationDuration'),
    buckets: [...new Set([...LATENCY_BUCKETS_SECONDS, ...Object.values(DB_QUERY_TARGETS)])].sort((a, b) => a - b),
    registers: [registry],
  });
  for (const { name, knex } of pools) {
    const started = new Map<string, bigint>();
    const finish = (outcome: string) => (_response: unknown, query: QueryEvent) => {
      const uid = query.__knexQueryUid;
      const start = uid ? started.get(uid) : undefined;
      if (!uid || start === undefined) return;
      started.delete(uid);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      histogram.observe({ pool: name, db_operation_name: query.method ?? 'raw', outcome }, seconds);
    };
    knex.on('query', (query: QueryEvent) => {
      if (query.__knexQueryUid) started.set(query.__knexQueryUid, process.hrtime.bigint());
    });
    knex.on('query-response', finish('ok'));
    knex.on('query-error', finish('error'));
  }
}
