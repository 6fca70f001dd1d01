/**
 * The general rate limit counted locally and summed in Redis in batches, against the real Redis:
 * one process never admits more than the limit, processes that have synced share one count, the
 * window ends when it says it does, and a process that cannot reach Redis keeps limiting alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis, type RedisClient } from '../../core/redis.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { SharedWindowLimit, type LimitDecision } from './shared-window-limit.js';

const MINUTE_MS = 60_000;
/** A clock 20 s into the current minute window (Redis expires the counters by real time), moved by the tests. */
const clock = { ms: Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + 20_000 };
const now = () => clock.ms;

const admitted = (decisions: LimitDecision[]) => decisions.filter((d) => d.allowed).length;
const consumeTimes = (limit: SharedWindowLimit, key: string, times: number) => Array.from({ length: times }, () => limit.consume(key));

describe('the general rate limit, shared in batches', () => {
  let redis: RedisClient;
  const keys = testRedisPrefix('shared-window');
  const limits: SharedWindowLimit[] = [];
  const limit = (points: number, redisClient = redis) => {
    const created = new SharedWindowLimit({
      redis: redisClient,
      keyPrefix: `${keys.prefix}rl`,
      points,
      durationSeconds: 60,
      syncMs: 60_000,
      now,
    });
    limits.push(created);
    return created;
  };

  before(() => {
    redis = createRedis({ url: TEST_REDIS_URL });
  });
  after(async () => {
    for (const l of limits) l.close();
    redis.disconnect();
    await keys.cleanup();
  });

  it('admits exactly the limit in one process, then refuses until the window ends', async () => {
    const single = limit(5);
    const decisions = consumeTimes(single, '192.0.2.1', 7);
    assert.equal(admitted(decisions), 5);
    const refused = decisions.at(-1);
    assert.ok(refused && !refused.allowed);
    assert.equal(refused.msBeforeNext, 40_000, 'the minute window ends 40 s later');
    await single.sync();
    assert.equal(await redis.get(`${keys.prefix}rl:192.0.2.1:${Math.floor(clock.ms / MINUTE_MS)}`), '5', 'the count reached Redis');
    clock.ms += 40_000;
    assert.equal(single.consume('192.0.2.1').allowed, true, 'a new window');
    assert.equal(single.consume('192.0.2.2').allowed, true, 'other clients have their own count');
  });

  it('shares one count across processes once they have synced', async () => {
    const [a, b] = [limit(5), limit(5)];
    assert.equal(admitted(consumeTimes(a, '198.51.100.7', 3)), 3);
    await a.sync();
    assert.equal(b.consume('198.51.100.7').allowed, true);
    await b.sync();
    // Redis told b about a's three: one more fits, then the shared limit of five is spent.
    assert.deepEqual(
      consumeTimes(b, '198.51.100.7', 2).map((d) => d.allowed),
      [true, false],
    );
    await b.sync();
    assert.equal(a.consume('198.51.100.7').allowed, true, 'a has not heard of b yet: one sync’s worth of overshoot');
    await a.sync();
    assert.equal(a.consume('198.51.100.7').allowed, false, 'after its sync a knows the shared total');
  });

  it('keeps limiting in process while Redis is unreachable', async () => {
    const unreachable = createRedis({ url: 'redis://127.0.0.1:1', failFast: true });
    unreachable.on('error', () => undefined);
    try {
      const alone = limit(3, unreachable);
      await alone.sync();
      assert.equal(admitted(consumeTimes(alone, '203.0.113.5', 3)), 3);
      await alone.sync();
      assert.equal(alone.consume('203.0.113.5').allowed, false, 'the counts that failed to reach Redis still count here');
    } finally {
      unreachable.disconnect();
    }
  });
});
