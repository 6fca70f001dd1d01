/**
 * Redis command deadlines against the real Redis: a reply that arrived while this process could
 * not run (its event loop held up past the deadline) is read and counted as an answer, so a busy
 * API does not open its breaker and send the gates to Postgres; a reply that never comes (a proxy
 * holds it back) still fails the command at its deadline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReplyDelayingProxy } from '../testing/reply-delaying-proxy.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../testing/redis.js';
import { DeadlineExceededError, withDeadline } from './breaker.js';
import { createRedis, createRedisBreaker, guardWithBreaker, type RedisClient } from './redis.js';

const DEADLINE_MS = 100;

function ready(client: RedisClient): Promise<void> {
  return client.status === 'ready' ? Promise.resolve() : new Promise((resolve) => client.once('ready', () => resolve()));
}

/** Holds the event loop, as a long synchronous task or a starved CPU does. */
function holdEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: no timer, socket or promise callback can run
  }
}

describe('Redis command deadlines', () => {
  const { prefix, cleanup } = testRedisPrefix('redis-deadline');
  let proxy: ReplyDelayingProxy;

  before(async () => {
    const url = new URL(TEST_REDIS_URL);
    proxy = await ReplyDelayingProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
  });
  after(async () => {
    await proxy.stop();
    await cleanup();
  });

  it('reads replies that arrived while the event loop was held past the deadline: no command fails, the breaker stays closed', async () => {
    const breaker = createRedisBreaker();
    const client = guardWithBreaker(createRedis({ url: TEST_REDIS_URL, failFast: true, commandTimeoutMs: DEADLINE_MS }), breaker);
    client.on('error', () => undefined);
    try {
      await ready(client);
      const commands = [
        ...Array.from({ length: 10 }, (_, i) => client.set(`${prefix}k${i}`, String(i))),
        client.eval("return redis.call('INCR', KEYS[1])", 1, `${prefix}counter`),
      ];
      // Long enough, many times over, for the real Redis to have answered every command meanwhile.
      holdEventLoop(DEADLINE_MS * 15);
      const outcomes = await Promise.allSettled(commands);
      assert.deepEqual(
        outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String(outcome.reason)),
        [],
      );
      assert.equal(breaker.isAvailable, true);
      assert.equal(await client.get(`${prefix}k9`), '9');
    } finally {
      client.disconnect();
    }
  });

  it('a probe’s deadline reads the reply too: a held event loop is not a failed probe', async () => {
    // The breakers' probes (Redis PING, Postgres select 1) and the replica lag check run under withDeadline.
    const client = createRedis({ url: TEST_REDIS_URL, failFast: true });
    client.on('error', () => undefined);
    try {
      await ready(client);
      const pinged = withDeadline(client.ping(), DEADLINE_MS, 'redis probe');
      holdEventLoop(DEADLINE_MS * 15);
      assert.equal(await pinged, 'PONG');
      await assert.rejects(withDeadline(new Promise(() => undefined), DEADLINE_MS, 'no answer'), DeadlineExceededError);
    } finally {
      client.disconnect();
    }
  });

  it('fails a command whose reply does not come, at its deadline', async () => {
    const client = createRedis({ url: proxy.url, failFast: true, commandTimeoutMs: DEADLINE_MS });
    client.on('error', () => undefined);
    try {
      await ready(client);
      proxy.holdReplies();
      const started = performance.now();
      await assert.rejects(client.get(`${prefix}held`), /Command timed out/);
      assert.ok(performance.now() - started >= DEADLINE_MS - 1, 'not before the deadline');
    } finally {
      proxy.releaseReplies();
      client.disconnect();
    }
  });
});
