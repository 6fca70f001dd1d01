/**
 * Redis-backed rate limits (rate-limiter-flexible), shared by every API process: a general limit
 * per client, a stricter one on /auth, and a per-account limit on failed logins. When Redis is
 * unreachable each limiter falls back to an in-process one rather than failing requests.
 */
import type { Next } from 'koa';
import { labelNamesOf } from '../../core/metric-labels.js';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { METRIC } from '../../core/metric-names.js';
import type { RedisClient } from '../../core/redis.js';
import type { AppContext } from '../context.js';
import { tooManyRequests } from '../errors.js';

export interface RateLimitOptions {
  redis: RedisClient;
  keyPrefix: string;
  perMinute: number;
  authPerMinute: number;
  windowSeconds: number;
  loginFailuresPerAccount: number;
  registry: Registry;
}

function limiter(redis: RedisClient, keyPrefix: string, points: number, duration: number, blockDuration = 0): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration,
    blockDuration,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${keyPrefix}:mem`, points, duration, blockDuration }),
  });
}

export class RateLimits {
  readonly general: RateLimiterRedis;
  readonly auth: RateLimiterRedis;
  readonly loginFailures: RateLimiterRedis;
  private readonly rejected: Counter<'scope'>;

  constructor(options: RateLimitOptions) {
    const p = `${options.keyPrefix}rl`;
    this.general = limiter(options.redis, `${p}:client`, options.perMinute, options.windowSeconds);
    this.auth = limiter(options.redis, `${p}:auth`, options.authPerMinute, options.windowSeconds);
    // Too many failed logins lock the account for 15 minutes whatever the client address.
    this.loginFailures = limiter(options.redis, `${p}:login-fail`, options.loginFailuresPerAccount, 15 * 60, 15 * 60);
    this.rejected = new Counter({
      name: METRIC.rateLimited,
      help: 'Requests refused by a rate limit, by scope.',
      labelNames: labelNamesOf('rateLimited'),
      registers: [options.registry],
    });
  }

  /**
   * Middleware consuming one point of `which` per request, keyed by client address. Probes and
   * scrapes (`exempt` paths) are never limited: a throttled kubelet would restart healthy pods.
   */
  middleware(which: 'general' | 'auth', exempt: ReadonlySet<string> = new Set()) {
    const target = this[which];
    return async (ctx: AppContext, next: Next) => {
      if (exempt.has(ctx.path)) return next();
      await this.consume(target, which, ctx.ip);
      return next();
    };
  }

  /** Throws 429 when the account is locked after repeated failed logins. */
  async assertAccountNotLocked(email: string): Promise<void> {
    const res = await this.loginFailures.get(email.toLowerCase());
    if (res && res.consumedPoints > this.loginFailuresPoints()) {
      this.rejected.inc({ scope: 'account' });
      throw tooManyRequests(res.msBeforeNext / 1000);
    }
  }

  async recordLoginFailure(email: string): Promise<void> {
    await this.loginFailures.penalty(email.toLowerCase(), 1).catch(() => undefined);
  }

  async clearLoginFailures(email: string): Promise<void> {
    await this.loginFailures.delete(email.toLowerCase()).catch(() => undefined);
  }

  private loginFailuresPoints(): number {
    return this.loginFailures.points;
  }

  private async consume(target: RateLimiterAbstract, scope: string, key: string): Promise<void> {
    try {
      await target.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        this.rejected.inc({ scope });
        throw tooManyRequests(rejection.msBeforeNext / 1000);
      }
      throw rejection;
    }
  }
}
