/**
 * Rate limits shared by every API process: a general limit per client (counted locally and summed
 * in Redis in batches, shared-window-limit.ts: it runs on every request), and, exact through Redis
 * on each request (rate-limiter-flexible), a stricter one on token refresh and limits on failed logins only, after
 * rate-limiter-flexible's login-protection recipe: consecutive failures per account *and* address
 * (so an outsider cannot lock anyone else out: their failures count against their own address),
 * and failures per address (so one address cannot try many accounts). Successful logins are never
 * counted, so a campus behind one NAT address is not throttled by its own students. When Redis is
 * unreachable each limiter falls back to an in-process one rather than failing requests. That
 * fallback holds only what failed to reach Redis, so the failed logins this process records are
 * also kept in process: a lockout check whose Redis reply misses its deadline (a busy machine
 * opens the breaker on a few of those) still sees every failure this process recorded, instead of
 * none — spraying logins at one pod is what makes its replies late.
 */
import type { Next } from 'koa';
import { labelNamesOf } from '../../core/metric-labels.js';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { METRIC } from '../../core/metric-names.js';
import type { RedisClient } from '../../core/redis.js';
import type { AppContext } from '../context.js';
import { tooManyRequests } from '../../domain/errors.js';
import { SharedWindowLimit } from './shared-window-limit.js';

export interface RateLimitOptions {
  redis: RedisClient;
  keyPrefix: string;
  perMinute: number;
  authPerMinute: number;
  windowSeconds: number;
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
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

const LOGIN_LOCK_SECONDS = 15 * 60;

const accountAtAddress = (email: string, address: string) => `${email.toLowerCase()}_${address}`;

export class RateLimits {
  readonly general: SharedWindowLimit;
  readonly auth: RateLimiterRedis;
  readonly loginFailuresByAccountAndAddress: RateLimiterRedis;
  readonly loginFailuresByAddress: RateLimiterRedis;
  /** The failed logins this process recorded, with the same limits, whatever Redis answers. */
  private readonly localLoginFailures: Map<RateLimiterRedis, RateLimiterMemory>;
  private readonly rejected: Counter<'scope'>;

  constructor(options: RateLimitOptions) {
    const p = `${options.keyPrefix}rl`;
    this.general = new SharedWindowLimit({
      redis: options.redis,
      keyPrefix: `${p}:client`,
      points: options.perMinute,
      durationSeconds: options.windowSeconds,
    });
    this.auth = limiter(options.redis, `${p}:auth`, options.authPerMinute, options.windowSeconds);
    // Consecutive failures for one account from one address: that pair waits 15 minutes.
    this.loginFailuresByAccountAndAddress = limiter(
      options.redis,
      `${p}:login-fail`,
      options.loginFailuresPerAccount,
      LOGIN_LOCK_SECONDS,
      LOGIN_LOCK_SECONDS,
    );
    // Failures from one address over an hour, whichever accounts: that address waits an hour.
    this.loginFailuresByAddress = limiter(options.redis, `${p}:login-fail-addr`, options.loginFailuresPerAddress, 3600, 3600);
    this.localLoginFailures = new Map(
      [this.loginFailuresByAccountAndAddress, this.loginFailuresByAddress].map((shared) => [
        shared,
        new RateLimiterMemory({
          keyPrefix: `${shared.keyPrefix}:local`,
          points: shared.points,
          duration: shared.duration,
          blockDuration: shared.blockDuration,
        }),
      ]),
    );
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
    if (which === 'general') {
      return (ctx: AppContext, next: Next) => {
        if (exempt.has(ctx.path)) return next();
        const decision = this.general.consume(ctx.ip);
        if (!decision.allowed) {
          this.rejected.inc({ scope: which });
          throw tooManyRequests(decision.msBeforeNext / 1000);
        }
        return next();
      };
    }
    return async (ctx: AppContext, next: Next) => {
      if (exempt.has(ctx.path)) return next();
      await this.consume(this.auth, which, ctx.ip);
      return next();
    };
  }

  /** Stops the general limit's periodic sync. */
  close(): void {
    this.general.close();
  }

  /**
   * Throws 429 when this address has used up its failed logins, for this account or overall.
   * Checked before the password is, so a locked-out attempt costs no password hash.
   */
  async assertLoginAllowed(email: string, address: string): Promise<void> {
    const checks = [
      [this.loginFailuresByAccountAndAddress, accountAtAddress(email, address), 'login_account'],
      [this.loginFailuresByAddress, address, 'login_address'],
    ] as const;
    for (const [target, key, scope] of checks) {
      const [shared, local] = await Promise.all([target.get(key), this.local(target).get(key)]);
      // Locked once the allowance is spent: after exactly `points` failures, not one more.
      const spent = [shared, local].find((res) => res !== null && res.consumedPoints >= target.points);
      if (spent) {
        this.rejected.inc({ scope });
        throw tooManyRequests(spent.msBeforeNext / 1000);
      }
    }
  }

  async recordLoginFailure(email: string, address: string): Promise<void> {
    const penalties: [RateLimiterRedis, string][] = [
      [this.loginFailuresByAccountAndAddress, accountAtAddress(email, address)],
      [this.loginFailuresByAddress, address],
    ];
    await Promise.all(
      penalties.flatMap(([shared, key]) => [shared.penalty(key, 1).catch(() => undefined), this.local(shared).penalty(key, 1)]),
    );
  }

  /** A success resets the consecutive failures of this account at this address. */
  async clearLoginFailures(email: string, address: string): Promise<void> {
    const key = accountAtAddress(email, address);
    await Promise.all([
      this.loginFailuresByAccountAndAddress.delete(key).catch(() => undefined),
      this.local(this.loginFailuresByAccountAndAddress).delete(key),
    ]);
  }

  private local(shared: RateLimiterRedis): RateLimiterMemory {
    const local = this.localLoginFailures.get(shared);
    if (!local) throw new Error(`no local mirror for ${shared.keyPrefix}`);
    return local;
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
