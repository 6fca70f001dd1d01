import type { Context, ParameterizedContext } from 'koa';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import type { Database } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import type { ObjectStorage } from '../core/object-storage.js';
import type { JobQueues } from '../core/queues.js';
import type { DependencyBreaker } from '../core/breaker.js';
import type { RedisClient } from '../core/redis.js';
import type { ActiveUsers } from './active-users.js';
import type { TwoLevelCache } from './cache/two-level-cache.js';
import type { PassServices } from './passes/services.js';
import type { RateLimits } from './middleware/rate-limit.js';
import type { ReadYourWrites } from './read-your-writes.js';
import type { SessionRevocations } from './auth/session-revocations.js';
import type { TokenService } from './auth/tokens.js';
import type { RealtimeServices } from './realtime/realtime.js';
import type { Role } from '../domain/accounts/roles.js';

// The roles are the domain's (accounts have them in the API and in the data alike).
export { ROLES, type Role } from '../domain/accounts/roles.js';

export interface AuthUser {
  id: string;
  role: Role;
  /** The students row a `student` account belongs to. */
  studentRef: string | null;
  sessionId: string;
}

export interface AppState {
  requestId: string;
  user?: AuthUser;
  /** Route template and SLA class, set when a route matches (for metrics and logs). */
  route?: string;
  slaClass?: string;
}

/** Everything a request handler may use; built once per process by `createDeps`. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  redis: RedisClient;
  /** Open while Redis is unreachable or hung; every command of `redis` passes through it. */
  redisBreaker: DependencyBreaker;
  cache: TwoLevelCache;
  tokens: TokenService;
  /** Revoked login sessions, checked on every authenticated request. */
  sessions: SessionRevocations;
  rateLimits: RateLimits;
  readYourWrites: ReadYourWrites;
  /** Distinct users per day and month (HyperLogLogs in Redis), for the cost per active user. */
  activeUsers: ActiveUsers;
  registry: Registry;
  /** Producer side of the worker queues (uploads, reports). */
  queues: JobQueues;
  /** Where uploaded files and generated reports are kept. */
  storage: ObjectStorage;
  /** Pass signing, gate verification, revocations and the access-log writer. */
  passes: PassServices;
  /** Live notifications and feeds (WebSocket/SSE): publish after a state change commits. */
  realtime: RealtimeServices;
  /** Whether the process is draining (readiness then answers 503). */
  draining: { value: boolean };
}

export type AppContext = ParameterizedContext<AppState> & Context;
