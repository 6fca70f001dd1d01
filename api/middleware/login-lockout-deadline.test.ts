/**
 * Login lockouts when Redis answers late: a lockout recorded in Redis must not be forgotten because
 * the reply to the check missed its 500 ms deadline (under load the API's breaker then opens, and
 * every limiter answers from its in-process insurance, which holds only what failed to reach
 * Redis: nothing). The fault is real: a proxy in front of the real Redis holds its replies back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createRedis, REDIS_DEADLINES, type RedisClient } from '../../core/redis.js';
import { ReplyDelayingProxy } from '../../testing/reply-delaying-proxy.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { RateLimits } from './rate-limit.js';

const isTooManyRequests = (err: unknown) => (err as { status?: number }).status === 429;

describe('login lockouts when Redis replies miss their deadline', () => {
  let proxy: ReplyDelayingProxy;
  let redis: RedisClient;
  let limits: RateLimits;
  const keys = testRedisPrefix('lockout-deadline');

  before(async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await ReplyDelayingProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    redis = createRedis({ url: proxy.url, failFast: true, commandTimeoutMs: REDIS_DEADLINES.commandMs });
    redis.on('error', () => undefined);
    // Connected first: a fail-fast client refuses commands until then, and they would all go to the insurance.
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    limits = new RateLimits({
      redis,
      keyPrefix: keys.prefix,
      perMinute: 1_000,
      authPerMinute: 1_000,
      windowSeconds: 60,
      loginFailuresPerAccount: 3,
      loginFailuresPerAddress: 5,
      registry: new Registry(),
    });
  });
  after(async () => {
    proxy.releaseReplies();
    redis.disconnect();
    await proxy.stop();
    await keys.cleanup();
  });

  it('an address that spent its failures stays locked while Redis replies are held back', async () => {
    for (let i = 0; i < 5; i++) await limits.recordLoginFailure(`sprayed-${i}@university.edu`, '192.0.2.66');
    assert.equal((await redis.get(`${keys.prefix}rl:login-fail-addr:192.0.2.66`)) ?? '', '5', 'the failures are in Redis');
    await assert.rejects(limits.assertLoginAllowed('sprayed-0@university.edu', '192.0.2.66'), isTooManyRequests);
    proxy.holdReplies();
    try {
      await assert.rejects(limits.assertLoginAllowed('someone-else@university.edu', '192.0.2.66'), isTooManyRequests);
    } finally {
      proxy.releaseReplies();
    }
  });

  it('an account locked at an address stays locked while Redis replies are held back, and other addresses are not', async () => {
    for (let i = 0; i < 3; i++) await limits.recordLoginFailure('victim@university.edu', '203.0.113.9');
    proxy.holdReplies();
    try {
      await assert.rejects(limits.assertLoginAllowed('victim@university.edu', '203.0.113.9'), isTooManyRequests);
      await limits.assertLoginAllowed('victim@university.edu', '198.51.100.7');
    } finally {
      proxy.releaseReplies();
    }
  });

  it('a successful login still clears the account’s failures at that address', async () => {
    for (let i = 0; i < 2; i++) await limits.recordLoginFailure('owner@university.edu', '198.51.100.20');
    await limits.clearLoginFailures('owner@university.edu', '198.51.100.20');
    await limits.recordLoginFailure('owner@university.edu', '198.51.100.20');
    proxy.holdReplies();
    try {
      await limits.assertLoginAllowed('owner@university.edu', '198.51.100.20');
    } finally {
      proxy.releaseReplies();
    }
  });
});
