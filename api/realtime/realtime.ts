/**
 * The real-time services of an API process, built once by `createDeps`: the publisher the routes
 * call after their state changes, the hub that holds this pod's connections, the WebSocket
 * endpoint on the HTTP server's upgrade path, and the drain that runs on SIGTERM.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { Notifier } from '../../core/realtime/notifier.js';
import { RealtimePublisher } from '../../core/realtime/publisher.js';
import { closeRedis, createRedis, redisConnection, type RedisClient } from '../../core/redis.js';
import type { SessionRevocations } from '../auth/session-revocations.js';
import type { TokenService } from '../auth/tokens.js';
import type { VerificationResult } from '../passes/verifier.js';
import { AnalyticsCounters } from './analytics-counters.js';
import type { ConnectionLimits } from './connection.js';
import { RealtimeHub } from './hub.js';
import { createRealtimeMetrics } from './metrics.js';
import { realtimeAuthenticator, type RealtimeAuthenticator } from './session-check.js';
import { WebSocketEndpoint } from './ws-endpoint.js';

/** Live messages held per connection while its history is replayed. */
const MAX_PENDING_DURING_REPLAY = 1_000;
/** How long closing sockets get to finish their close handshake after the drain. */
const CLOSE_WAIT_MS = 2_000;

export interface RealtimeServices {
  notify: Notifier;
  publisher: RealtimePublisher;
  counters: AnalyticsCounters;
  hub: RealtimeHub;
  limits: ConnectionLimits;
  authenticate: RealtimeAuthenticator;
  /** After a gate verification: its verdict on the gate feed, and a tick on today's totals. */
  verified(result: VerificationResult): void;
  /** Serves the WebSocket endpoint on the API's HTTP server. */
  attach(server: Server): void;
  /** SIGTERM: close every socket with "going away", spread out, and wait for them to go. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface RealtimeInputs {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  registry: Registry;
  knex: Knex;
  tokens: TokenService;
  sessions: SessionRevocations;
}

export async function createRealtime({
  config,
  logger,
  redis,
  registry,
  knex,
  tokens,
  sessions,
}: RealtimeInputs): Promise<RealtimeServices> {
  const subscriber = createRedis({
    ...redisConnection(config),
    connectionName: 'api-realtime',
    maxRetriesPerRequest: null,
    shardedSubscriber: true,
  });
  subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'realtime subscriber connection error'));
  // Read only at scrape time, after the hub exists.
  const metrics = createRealtimeMetrics(registry, config.REALTIME_MAX_CONNECTIONS, () => hub.counts());
  const hub = new RealtimeHub({
    keyPrefix: config.REDIS_KEY_PREFIX,
    redis,
    subscriber,
    historyLength: config.REALTIME_HISTORY_LENGTH,
    maxConnections: config.REALTIME_MAX_CONNECTIONS,
    maxConnectionsPerUser: config.REALTIME_MAX_CONNECTIONS_PER_USER,
    heartbeatMs: config.REALTIME_HEARTBEAT_MS,
    logger,
    metrics,
  });
  // Like the cache's invalidation channel: without Redis the API starts anyway, and the
  // subscriptions complete when it comes back.
  const subscribed = hub.start().catch((err: Error) => logger.warn({ err: err.message }, 'real-time channels unavailable; will retry'));
  await Promise.race([subscribed, once(subscriber, 'error')]);

  const publisher = RealtimePublisher.fromConfig(config, redis, logger, metrics.publishFailures);
  const notify = new Notifier(publisher, knex, logger);
  const counters = new AnalyticsCounters(publisher);
  counters.start();
  const limits: ConnectionLimits = { maxBufferedBytes: config.REALTIME_MAX_BUFFERED_BYTES, maxPending: MAX_PENDING_DURING_REPLAY };
  const authenticate = realtimeAuthenticator(tokens, sessions);
  // Logout, refresh-token reuse, suspension or deletion, in any process: the session's sockets close.
  const onRevoked = (sessionId: string) => hub.revokeSession(sessionId);
  sessions.on('revoked', onRevoked);
  const websocket = new WebSocketEndpoint({ hub, authenticate, limits, authTimeoutMs: config.REALTIME_AUTH_TIMEOUT_MS, logger });

  return {
    notify,
    publisher,
    counters,
    hub,
    limits,
    authenticate,
    verified(result) {
      const outcome = result.reason ?? 'valid';
      counters.add(`verifications.${outcome}`);
      notify.track(
        publisher.gateVerdict({
          gate: result.gate,
          direction: result.direction,
          valid: result.valid,
          reason: result.reason,
          passId: result.pass?.id ?? null,
          passType: result.pass?.passType ?? null,
          checkedAt: result.checkedAt,
          degraded: result.degraded,
        }),
      );
    },
    attach(server) {
      websocket.attach(server);
    },
    async drain() {
      await hub.drain(config.REALTIME_DRAIN_SPREAD_MS);
      await websocket.close(CLOSE_WAIT_MS);
    },
    async close() {
      sessions.off('revoked', onRevoked);
      // Each step on its own, so one failure does not leave the rest open.
      await hub.close().catch((err: Error) => logger.warn({ err: err.message }, 'closing real-time connections failed'));
      await counters.close().catch((err: Error) => logger.warn({ err: err.message }, 'flushing analytics counters failed'));
      await notify.settled();
      await closeRedis(subscriber);
    },
  };
}
