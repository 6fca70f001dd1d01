/**
 * Gate checks batched per event-loop turn, against the real Redis: what Redis receives is watched
 * with MONITOR on a connection of its own, so "one script call" is Redis's count, not ours.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createRedis, REDIS_DEADLINES, type RedisClient } from '../../core/redis.js';
import { eventually } from '../../testing/eventually.js';
import { ReplyDelayingProxy } from '../../testing/reply-delaying-proxy.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { GateCheckBatcher, type GateCheckCall } from './gate-check-batch.js';
import { passKeys } from './revocations.js';

const MEMORY_SECONDS = 3600;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('gate checks batched per event-loop turn', () => {
  const { prefix, cleanup } = testRedisPrefix('gate-check-batch');
  let redis: RedisClient;
  let monitoring: Redis;
  let monitor: Redis;
  /** The script calls Redis ran on this file's keys, as MONITOR reported them. */
  const scriptCalls: string[][] = [];
  /** Markers (GETs of a key of their own) MONITOR has reported. */
  const markers = new Set<string>();

  before(async () => {
    redis = createRedis({ url: TEST_REDIS_URL, failFast: true, commandTimeoutMs: REDIS_DEADLINES.commandMs });
    // monitor() opens a connection of its own in MONITOR mode.
    monitoring = createRedis({ url: TEST_REDIS_URL }) as Redis;
    monitor = await monitoring.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (/^eval/i.test(args[0] ?? '') && args.some((arg) => arg.startsWith(prefix))) scriptCalls.push(args);
      else if (args[0]?.toLowerCase() === 'get' && args[1]?.startsWith(`${prefix}marker:`)) markers.add(args[1]);
    });
  });
  after(async () => {
    monitor.disconnect();
    monitoring.disconnect();
    redis.disconnect();
    await cleanup();
  });

  function checkOf(passId: string, direction: 'entry' | 'exit', epoch: number, overrides: Partial<GateCheckCall> = {}): GateCheckCall {
    const keys = passKeys(prefix, passId);
    return {
      revokedKey: keys.revoked,
      directionKey: keys.lastDirection,
      direction,
      memorySeconds: MEMORY_SECONDS,
      epoch,
      epochIsFresh: false,
      nowMs: 1_000_000,
      seedDirection: '',
      seedAtMs: 0,
      nonce: randomUUID(),
      ...overrides,
    };
  }

  /**
   * The script calls Redis has run since the last look, once at least `count` have: a marker sent
   * after them comes back through MONITOR behind every command Redis ran before it, so a call
   * counted here can be no straggler of an earlier look.
   */
  async function callsAfter(count: number): Promise<string[][]> {
    await eventually(async () => scriptCalls.length >= count, `${count} script calls seen by Redis`);
    const marker = `${prefix}marker:${randomUUID()}`;
    await redis.get(marker);
    await eventually(async () => markers.has(marker), 'the marker seen by Redis');
    return scriptCalls.splice(0);
  }

  it('answers every check of one turn, in the order asked, with one script call', async () => {
    const batcher = new GateCheckBatcher(redis);
    // The script is loaded (EVAL after a NOSCRIPT) by a first call of its own.
    await batcher.check(checkOf(randomUUID(), 'entry', 1));
    await callsAfter(1);

    const [twice, revoked, olderEpoch, fresh, seeded] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await redis.set(passKeys(prefix, revoked).revoked, '1');
    await redis.set(passKeys(prefix, olderEpoch).lastDirection, '6|entry|900000|n|');
    await redis.set(passKeys(prefix, seeded).lastDirection, '6|exit|900000|n|');
    const first = checkOf(twice, 'entry', 7);
    const answers = await Promise.all([
      batcher.check(first),
      // The same pass again in the same turn sees the first check's passage, as a second call would.
      batcher.check(checkOf(twice, 'entry', 7)),
      batcher.check(checkOf(revoked, 'entry', 7)),
      // Redis's memory is from an older epoch: Postgres decides first.
      batcher.check(checkOf(olderEpoch, 'exit', 7)),
      // A new epoch and nothing stored: the access log might know more.
      batcher.check(checkOf(fresh, 'entry', 7, { epochIsFresh: true })),
      // Seeded from Postgres (the last passage was an entry): an exit goes through.
      batcher.check(checkOf(seeded, 'exit', 7, { seedDirection: 'entry', seedAtMs: 950_000 })),
    ]);
    assert.deepEqual(answers, [
      ['ok', ''],
      ['anti_passback', ''],
      ['revoked', ''],
      ['check', '6|entry|900000|n|'],
      ['check', ''],
      ['ok', ''],
    ]);
    assert.equal((await callsAfter(1)).length, 1, 'six checks asked in one turn are one script call');
    assert.equal(await redis.get(passKeys(prefix, twice).lastDirection), `7|entry|1000000|${first.nonce}|`);
    assert.match((await redis.get(passKeys(prefix, seeded).lastDirection)) ?? '', /^7\|exit\|1000000\|[^|]+\|6\|exit\|900000$/);
    assert.equal(await redis.ttl(passKeys(prefix, twice).lastDirection), MEMORY_SECONDS);
    assert.equal(await redis.exists(passKeys(prefix, fresh).lastDirection, passKeys(prefix, olderEpoch).lastDirection), 1);

    // Checks of later turns are calls of their own.
    await batcher.check(checkOf(twice, 'exit', 7));
    await batcher.check(checkOf(twice, 'entry', 7));
    assert.equal((await callsAfter(2)).length, 2);
  });

  it('sends a full batch at once and the rest at the end of the turn', async () => {
    const batcher = new GateCheckBatcher(redis, 4);
    const answers = await Promise.all(Array.from({ length: 6 }, () => batcher.check(checkOf(randomUUID(), 'entry', 7))));
    assert.deepEqual(
      answers.map(([answer]) => answer),
      ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    );
    const calls = await callsAfter(2);
    assert.deepEqual(
      calls.map((args) => Number(args[2])),
      [8, 4],
      'four checks (eight keys), then two',
    );
  });

  describe('while Redis holds its replies back', () => {
    let proxy: ReplyDelayingProxy;
    let behind: RedisClient;

    before(async () => {
      const url = new URL(TEST_REDIS_URL);
      proxy = await ReplyDelayingProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
      behind = createRedis({ url: proxy.url, failFast: true, commandTimeoutMs: REDIS_DEADLINES.commandMs });
      behind.on('error', () => undefined);
      // Commands fail at once until the connection is up (failFast, as the API's client).
      if (behind.status !== 'ready') await once(behind, 'ready');
    });
    after(async () => {
      proxy.releaseReplies();
      behind.disconnect();
      await proxy.stop();
    });

    it('sends each turn’s batch without waiting for the one before, each failing at its own deadline', async () => {
      const batcher = new GateCheckBatcher(behind);
      await batcher.check(checkOf(randomUUID(), 'entry', 7));
      await callsAfter(1);
      proxy.holdReplies();
      const firstTurn = [batcher.check(checkOf(randomUUID(), 'entry', 7)), batcher.check(checkOf(randomUUID(), 'exit', 7))];
      await nextTurn();
      const secondTurn = [batcher.check(checkOf(randomUUID(), 'entry', 7))];
      const settled = Promise.allSettled([...firstTurn, ...secondTurn]);
      // Both calls reached Redis while neither had an answer.
      assert.equal((await callsAfter(2)).length, 2);
      const outcomes = await settled;
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.match(String((outcome as PromiseRejectedResult).reason), /timed out/);
      }
      proxy.releaseReplies();
    });
  });
});
