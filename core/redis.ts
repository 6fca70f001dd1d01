/**
 * Redis through ioredis: a single node (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES). Keys are
 * prefixed by hand rather than with ioredis' `keyPrefix`, because BullMQ refuses that option and
 * pub/sub channels ignore it; one prefix per deployment (and per test file) keeps data apart.
 */
import { Cluster, Redis, type Command } from 'ioredis';
import { DependencyBreaker, DependencyUnavailableError, onDeadlineMissed } from './breaker.js';
import type { Logger } from './logger.js';

export type RedisClient = Redis | Cluster;

/** Deadlines of request/response Redis calls: every command is O(1) or close, so a slow answer means a hung server. */
export const REDIS_DEADLINES = {
  /** A reply later than this is an error (`commandTimeoutMs`, see `readRepliesBeforeDeadline`); the caller degrades. */
  commandMs: 500,
  /** TCP connect to a server that does not accept (ioredis `connectTimeout`). */
  connectMs: 2_000,
} as const;

export interface RedisConnectionOptions {
  url?: string | undefined;
  clusterNodes?: string[];
  /** BullMQ's blocking connections need `null` here; request/response clients fail fast. */
  maxRetriesPerRequest?: number | null;
  /** Fail commands at once while disconnected instead of queueing them (cache and rate-limit paths). */
  failFast?: boolean;
  connectionName?: string;
  /** Reject any command not answered within this many ms (never on blocking connections). */
  commandTimeoutMs?: number;
  /** A subscriber of sharded channels (SSUBSCRIBE): on a cluster, one connection per shard. */
  shardedSubscriber?: boolean;
  /** AUTH password; a password in `url` takes precedence. */
  password?: string | undefined;
}

/** Where and how to connect, as configuration gives it. */
export function redisConnection(config: {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES: string[];
  REDIS_PASSWORD?: string | undefined;
}) {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES, password: config.REDIS_PASSWORD };
}

export function createRedis(options: RedisConnectionOptions): RedisClient {
  const common = {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 2 : options.maxRetriesPerRequest,
    enableOfflineQueue: !options.failFast,
    connectionName: options.connectionName,
    ...(options.password ? { password: options.password } : {}),
    lazyConnect: false,
    connectTimeout: REDIS_DEADLINES.connectMs,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    const nodes = options.clusterNodes.map((seed) => {
      const [host, port] = seed.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
    });
    const cluster = new Cluster(nodes, {
      redisOptions: common,
      enableOfflineQueue: common.enableOfflineQueue,
      shardedSubscribers: options.shardedSubscriber === true,
    });
    return options.commandTimeoutMs ? readRepliesBeforeDeadline(cluster, options.commandTimeoutMs) : cluster;
  }
  const client = new Redis(options.url ?? 'redis://127.0.0.1:6379', common);
  return options.commandTimeoutMs ? readRepliesBeforeDeadline(client, options.commandTimeoutMs) : client;
}

/**
 * Rejects every command of `client` not answered within `ms` — ioredis' `commandTimeout`, except
 * that a reply which has already arrived is read before the deadline is declared missed
 * (onDeadlineMissed): with ioredis' own timer, a held-up event loop made every command in flight
 * "time out" at once, three of them opened the breaker, and the gates fell back to Postgres
 * although Redis answered in time.
 */
export function readRepliesBeforeDeadline<C extends RedisClient>(client: C, ms: number): C {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => Promise<unknown>;
  // A cluster sends a command again after a redirection: one deadline per command, from its first send.
  const timed = new WeakSet<Command>();
  const timedSend = (command: Command, ...rest: unknown[]): Promise<unknown> => {
    if (!timed.has(command)) {
      timed.add(command);
      const settled = onDeadlineMissed(ms, () => {
        if (!command.isSettled) command.reject(new Error('Command timed out'));
      });
      command.promise.then(settled, settled);
    }
    return send(command, ...rest);
  };
  (client as unknown as { sendCommand: typeof timedSend }).sendCommand = timedSend;
  return client;
}

/**
 * Whether a Redis error says the server is unreachable or hung. A ReplyError is Redis answering
 * (e.g. WRONGTYPE): the server works, the request was wrong.
 */
export function isRedisOutage(err: unknown): boolean {
  return err instanceof Error && err.name !== 'ReplyError' && !(err instanceof DependencyUnavailableError);
}

/** The breaker for one process's Redis: three consecutive failures open it, a trial after a second. */
export function createRedisBreaker(logger?: Logger): DependencyBreaker {
  return new DependencyBreaker('redis', {
    isOutage: isRedisOutage,
    failuresToOpen: 3,
    halfOpenAfterMs: 1_000,
    ...(logger ? { logger } : {}),
  });
}

/**
 * Routes every command of `client` through `breaker`: the outcome of each is counted, and while
 * the breaker is not closed a command is refused at once instead of waiting for its deadline. Hooking
 * `sendCommand` (the one method every command, script and pipeline goes through) covers the
 * libraries that hold the client too — the rate limiter, BullMQ's producer — not just our calls.
 */
export function guardWithBreaker<C extends RedisClient>(client: C, breaker: DependencyBreaker): C {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => Promise<unknown>;
  const guarded = (command: Command, ...rest: unknown[]): Promise<unknown> => {
    // While (re)connecting, ioredis sends its own handshake commands and refuses ours at once
    // (no offline queue): let it, or an open breaker would keep the connection from ever coming back.
    if (client.status !== 'ready') return send(command, ...rest);
    // Only the probe is ever the half-open trial: a request must not wait out a deadline to find
    // out whether Redis is back.
    if (!breaker.isAvailable) {
      command.reject(new DependencyUnavailableError('redis'));
      return command.promise;
    }
    breaker
      .execute(() => send(command, ...rest))
      .catch((err: unknown) => {
        if (err instanceof DependencyUnavailableError) command.reject(err);
      });
    return command.promise;
  };
  (client as unknown as { sendCommand: typeof guarded }).sendCommand = guarded;
  return client;
}

/**
 * Probes Redis with PING on a connection of its own (unguarded, so the probe can be the breaker's
 * half-open trial) and returns a function that stops it.
 */
export function probeRedis(breaker: DependencyBreaker, options: RedisConnectionOptions, intervalMs = 500): () => void {
  const probe = createRedis({
    ...options,
    failFast: true,
    connectionName: `${options.connectionName ?? 'redis'}-probe`,
    commandTimeoutMs: REDIS_DEADLINES.commandMs,
  });
  probe.on('error', () => undefined);
  breaker.startProbe(() => probe.ping(), intervalMs, REDIS_DEADLINES.commandMs);
  return () => {
    breaker.stopProbe();
    probe.disconnect();
  };
}

/** Closes a client, falling back to disconnect when QUIT cannot be sent. */
export async function closeRedis(client: RedisClient): Promise<void> {
  // QUIT waits in the offline queue while disconnected, which would hang shutdown forever.
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
