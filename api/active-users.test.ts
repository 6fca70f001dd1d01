/**
 * The distinct count of active users: users who made authenticated requests to the real API are
 * counted once per day and month in its /metrics (anonymous requests and repeat requests not at
 * all); days are unioned into the month, never summed; and the month's PFCOUNT over its days works
 * on a real Redis Cluster (the hash tag keeps every day in one slot).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../core/logger.js';
import { METRIC } from '../core/metric-names.js';
import { createRedis, type RedisClient } from '../core/redis.js';
import { call } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { startRedisCluster, type RedisCluster } from '../testing/redis-cluster.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../testing/redis.js';
import { ActiveUsers } from './active-users.js';
import { useTestEnvironment } from '../testing/use-test-environment.js';

const logger = createLogger('active-users-test', 'silent');

/** The API's `passplatform_active_users` samples by window, from its /metrics text. */
async function scrapedCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, window, value] of text.matchAll(new RegExp(`^${METRIC.activeUsers}\\{window="(\\w+)"[^}]*\\} (\\S+)$`, 'gm')))
    counts[window as string] = Number(value);
  return counts;
}

describe('active users on the real API', () => {
  const world = useTestEnvironment('active-users');

  it('counts each authenticated user once, and no anonymous caller', async () => {
    const tokens = await Promise.all([world.env.tokenFor('staff'), world.env.tokenFor('staff'), world.env.tokenFor('admin')]);
    for (let round = 0; round < 3; round++)
      for (const token of tokens) assert.equal((await call(world.api.url, 'GET', '/students?limit=1', { token })).status, 200);
    for (let i = 0; i < 5; i++) await call(world.api.url, 'GET', '/health');
    // A refused token is not a user.
    assert.equal((await call(world.api.url, 'GET', '/students', { token: 'not-a-token' })).status, 401);
    const counts = await eventually(async () => {
      const scraped = await scrapedCounts(world.api.url);
      return scraped.day === 3 ? scraped : undefined;
    }, 'three distinct users counted');
    assert.deepEqual(counts, { day: 3, month: 3 });
  });
});

/** Counts with a clock the test moves, on the given Redis. */
async function countAcrossDays(redis: RedisClient, keyPrefix: string): Promise<{ day: number; month: number }> {
  let now = Date.parse('2026-11-30T23:59:59.500Z');
  const counter = new ActiveUsers({ redis, keyPrefix, registry: new Registry(), logger, clock: () => now });
  try {
    counter.note('ada');
    counter.note('bob');
    now = Date.parse('2026-12-01T10:00:00Z');
    await counter.flush();
    counter.note('bob');
    counter.note('cy');
    await counter.flush();
    now = Date.parse('2026-12-02T08:00:00Z');
    counter.note('cy');
    counter.note('dee');
    counter.note('dee');
    await counter.flush();
    return await counter.counts();
  } finally {
    await counter.close();
  }
}

describe('active users across days', () => {
  it('unions the days of a month (a user on two days counts once; November stays in November)', async () => {
    const redis = createRedis({ url: TEST_REDIS_URL });
    const { prefix, cleanup } = testRedisPrefix('active-users-days');
    try {
      // December: bob and cy on the 1st, cy and dee on the 2nd; ada only in November.
      assert.deepEqual(await countAcrossDays(redis, prefix), { day: 2, month: 3 });
      const ttl = await redis.ttl(`${prefix}{active-users}:2026-12-01`);
      assert.ok(ttl > 35 * 86_400 && ttl <= 40 * 86_400, `day key expires in ${ttl} s`);
      assert.equal(await redis.pfcount(`${prefix}{active-users}:2026-11-30`), 2);
    } finally {
      await cleanup();
      redis.disconnect();
    }
  });

  describe('on a Redis Cluster', () => {
    let cluster: RedisCluster;
    before(async () => {
      cluster = await startRedisCluster();
    });
    after(() => cluster.stop());

    it("counts a month's days with one PFCOUNT (no CROSSSLOT)", async () => {
      const redis = createRedis({ clusterNodes: cluster.nodes });
      try {
        assert.deepEqual(await countAcrossDays(redis, 'pp:'), { day: 2, month: 3 });
      } finally {
        redis.disconnect();
      }
    });
  });
});
