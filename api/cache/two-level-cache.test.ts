/**
 * The cache's byte values (analytics answers) against the real Redis: another process reads the
 * same bytes back (UTF-8 beyond ASCII included), and one process's local level keeps them within
 * its byte bound — beyond it, look-ups go to Redis instead of holding every answer in memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';
import { createRedis, type RedisClient } from '../../core/redis.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { TwoLevelCache } from './two-level-cache.js';

/** Look-ups so far by level and result, from the cache's own counter. */
async function lookUps(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(METRIC.cacheRequests)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${v.labels.level}:${v.labels.result}`, v.value]));
}

describe('the two-level cache, byte values', () => {
  const keys = testRedisPrefix('two-level-cache');
  const clients: RedisClient[] = [];
  const caches: { cache: TwoLevelCache; registry: Registry }[] = [];

  const cacheOfOneProcess = async (localMaxBytes: number) => {
    const redis = createRedis({ url: TEST_REDIS_URL });
    const subscriber = createRedis({ url: TEST_REDIS_URL });
    clients.push(redis, subscriber);
    const registry = new Registry();
    const cache = new TwoLevelCache({
      redis,
      subscriber,
      keyPrefix: keys.prefix,
      localMaxEntries: 1_000,
      localMaxBytes,
      localTtlMs: 60_000,
      defaultTtlSeconds: 60,
      registry,
      logger: createLogger('test', 'silent'),
    });
    await cache.start();
    caches.push({ cache, registry });
    return { cache, registry };
  };

  before(async () => {
    await keys.cleanup();
  });
  after(async () => {
    await keys.cleanup();
    for (const client of clients) client.disconnect();
  });

  it('hands another process the very bytes one loaded', async () => {
    const first = await cacheOfOneProcess(1024 * 1024);
    const second = await cacheOfOneProcess(1024 * 1024);
    const answer = Buffer.from('{"gate":"Pförtner-Tor","total":[1,2,3]}');
    assert.deepEqual(await first.cache.getOrLoadBytes('t', 'answer', async () => answer), answer);
    const fromRedis = await second.cache.getOrLoadBytes('t', 'answer', async () => assert.fail('the loader ran although Redis held it'));
    assert.ok(fromRedis.equals(answer));
    assert.equal((await lookUps(second.registry))['redis:hit'], 1);
  });

  it('keeps no more bytes locally than its bound: the oldest goes, and is read from Redis again', async () => {
    const { cache, registry } = await cacheOfOneProcess(1_000);
    const value = (fill: string) => Buffer.alloc(400, fill);
    for (const name of ['a', 'b', 'c']) await cache.getOrLoadBytes('bound', name, async () => value(name));
    // 1,200 bytes loaded under a bound of 1,000: `a` left the local level, `b` and `c` stayed.
    for (const name of ['c', 'b', 'a']) {
      const got = await cache.getOrLoadBytes('bound', name, async () => assert.fail(`${name} was loaded again`));
      assert.ok(got.equals(value(name)));
    }
    const counts = await lookUps(registry);
    assert.equal(counts['local:hit'], 2);
    assert.equal(counts['redis:hit'], 1);
    assert.equal(counts['redis:miss'], 3);
  });
});
