/**
 * Gate verdicts are published in batches (one script per event-loop turn): against a real Redis,
 * every verdict still becomes its own stream entry and its own message on the gate channel, in the
 * order the verifications gave them, across batches and past the per-script cap; a batch Redis
 * refuses is counted verdict by verdict and logged, and the verdicts after it are delivered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { METRIC } from '../metric-names.js';
import { eventually } from '../../testing/eventually.js';
import { gateVerdictAt } from '../../testing/realtime-client.js';
import { TEST_REDIS_URL, testRedisPrefix } from '../../testing/redis.js';
import { feedStream } from './keys.js';
import { MAX_VERDICTS_PER_SCRIPT, RealtimePublisher, publishFailuresCounter } from './publisher.js';

describe('gate verdicts published in batches', () => {
  const keys = testRedisPrefix('publisher');
  const ref = feedStream(keys.prefix, 'gates');
  const redis = new Redis(TEST_REDIS_URL);
  const subscriber = new Redis(TEST_REDIS_URL);
  const registry = new Registry();
  const warnings: { messages?: number; feed?: string }[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        warnings.push(JSON.parse(line) as { messages?: number; feed?: string });
      },
    },
  );
  const publisher = new RealtimePublisher({
    redis,
    keyPrefix: keys.prefix,
    historyLength: 10,
    historyTtlSeconds: 60,
    logger,
    failures: publishFailuresCounter(registry),
  });
  /** Gate names of the live messages, in arrival order, with their stream ids. */
  const received: { id: string; gate: string }[] = [];

  before(async () => {
    subscriber.on('smessage', (_channel: string, raw: string) => {
      const space = raw.indexOf(' ');
      const payload = JSON.parse(raw.slice(space + 1)) as { event: string; data: { gate: string } };
      assert.equal(payload.event, 'gate.verdict');
      received.push({ id: raw.slice(0, space), gate: payload.data.gate });
    });
    await subscriber.ssubscribe(ref.channel);
  });
  after(async () => {
    await keys.cleanup();
    redis.disconnect();
    subscriber.disconnect();
  });

  const failuresCounted = async () =>
    (await registry.getSingleMetric(METRIC.realtimePublishFailures)?.get())?.values.find((v) => v.labels.feed === 'gates')?.value ?? 0;

  it('delivers every verdict once, as its own entry and message, in the order given, within and across turns', async () => {
    const gates: string[] = [];
    const published: Promise<void>[] = [];
    // One turn with more verdicts than one script carries, then verdicts one turn at a time.
    for (let i = 0; i < MAX_VERDICTS_PER_SCRIPT + 20; i++) {
      gates.push(`burst-${i}`);
      published.push(publisher.gateVerdict(gateVerdictAt(`burst-${i}`)));
    }
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.push(`single-${i}`);
      published.push(publisher.gateVerdict(gateVerdictAt(`single-${i}`)));
    }
    await Promise.all(published);
    await eventually(async () => received.length === gates.length, `${gates.length} verdicts received`);
    assert.deepEqual(
      received.map((m) => m.gate),
      gates,
    );
    // The history a reconnecting desk resumes from holds the same entries under the same ids.
    const history = await redis.xrange(ref.stream, '-', '+');
    assert.deepEqual(
      history.map(([id]) => id),
      received.map((m) => m.id),
    );
    assert.deepEqual(
      history.map(([, fields]) => (JSON.parse(fields[1] ?? '{}') as { data: { gate: string } }).data.gate),
      gates,
    );
    assert.equal(await failuresCounted(), 0);
  });

  it('counts and logs every verdict of a batch Redis refuses, and delivers the ones after it', async () => {
    received.length = 0;
    // The history key of another type: Redis refuses the script's first XADD, so the whole batch.
    await redis.del(ref.stream);
    await redis.set(ref.stream, 'not a stream');
    await Promise.all([1, 2, 3].map((i) => publisher.gateVerdict(gateVerdictAt(`refused-${i}`))));
    assert.equal(await failuresCounted(), 3);
    const warning = warnings.find((w) => w.feed === 'gates');
    assert.equal(warning?.messages, 3, 'the warning says how many verdicts were lost');

    await redis.del(ref.stream);
    await publisher.gateVerdict(gateVerdictAt('after-the-failure'));
    await eventually(async () => received.length > 0, 'the verdict after the failure received');
    assert.deepEqual(
      received.map((m) => m.gate),
      ['after-the-failure'],
    );
  });
});
