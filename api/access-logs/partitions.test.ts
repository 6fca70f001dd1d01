import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tempSpillDir } from '../../testing/spill.js';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../../core/db.js';
import { createLogger } from '../../core/logger.js';
import { ensureAccessLogPartitions, ensurePartitionsAhead, monthsCovering, partitionName } from './partitions.js';
import { AccessLogWriter, insertAccessLogs, type AccessLogEntry } from './writer.js';
import { useTestDatabase } from '../../testing/use-test-environment.js';

const entry = (occurredAt: string, over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  occurredAt: new Date(occurredAt),
  passId: randomUUID(),
  studentId: randomUUID(),
  gate: 'main-gate',
  direction: 'entry',
  outcome: 'valid',
  verifiedBy: null,
  requestId: null,
  ...over,
});

async function partitionOf(knex: Knex, occurredAt: string): Promise<string[]> {
  const res = await knex.raw<{ rows: { part: string }[] }>(
    'select tableoid::regclass::text as part from access_logs where occurred_at = ? order by id',
    [occurredAt],
  );
  return res.rows.map((r) => r.part);
}

describe('access log partitions', () => {
  const data = useTestDatabase('partitions', 4, 10_000);

  it('names and spans months in UTC', () => {
    assert.equal(partitionName(new Date('2031-01-01T00:00:00Z')), 'access_logs_y2031m01');
    assert.deepEqual(monthsCovering(new Date('2031-11-15T00:00:00Z'), new Date('2032-01-01T00:00:00Z')).map(partitionName), [
      'access_logs_y2031m11',
      'access_logs_y2031m12',
      'access_logs_y2032m01',
    ]);
  });

  it('rolls over at the year-end month boundary: the last instant of December and the first of January land in their own months', async () => {
    const created = await ensurePartitionsAhead(data.knex, new Date('2031-12-31T23:59:59.999Z'), 1);
    assert.deepEqual(created, ['access_logs_y2031m12', 'access_logs_y2032m01']);
    assert.deepEqual(await ensurePartitionsAhead(data.knex, new Date('2031-12-31T23:59:59.999Z'), 1), [], 'idempotent');
    await insertAccessLogs(data.knex, [entry('2031-12-31T23:59:59.999Z'), entry('2032-01-01T00:00:00.000Z')]);
    assert.deepEqual(await partitionOf(data.knex, '2031-12-31T23:59:59.999Z'), ['access_logs_y2031m12']);
    assert.deepEqual(await partitionOf(data.knex, '2032-01-01T00:00:00.000Z'), ['access_logs_y2032m01']);
    const hourly = await data.knex('access_log_hourly').select('bucket').where('bucket', '>=', '2031-12-31T23:00:00Z').orderBy('bucket');
    assert.deepEqual(
      hourly.map((r: { bucket: Date }) => r.bucket.toISOString()),
      ['2031-12-31T23:00:00.000Z', '2032-01-01T00:00:00.000Z'],
    );
  });

  it('keeps rows that arrive before their month has a partition, and moves them in when it is created', async () => {
    await insertAccessLogs(data.knex, [entry('2032-03-05T10:00:00Z'), entry('2032-03-31T23:59:59Z'), entry('2032-04-01T00:00:00Z')]);
    assert.deepEqual(await partitionOf(data.knex, '2032-03-05T10:00:00Z'), ['access_logs_default']);
    const created = await ensureAccessLogPartitions(data.knex, {
      from: new Date('2032-02-10T00:00:00Z'),
      to: new Date('2032-03-01T00:00:00Z'),
    });
    assert.deepEqual(created, ['access_logs_y2032m02', 'access_logs_y2032m03']);
    assert.deepEqual(await partitionOf(data.knex, '2032-03-05T10:00:00Z'), ['access_logs_y2032m03']);
    assert.deepEqual(await partitionOf(data.knex, '2032-03-31T23:59:59Z'), ['access_logs_y2032m03']);
    assert.deepEqual(await partitionOf(data.knex, '2032-04-01T00:00:00Z'), ['access_logs_default']);
    const [{ n }] = (await data.knex('access_logs').where('occurred_at', '>=', '2031-12-01').count('* as n')) as [{ n: string }];
    assert.equal(Number(n), 5);
  });

  it('lets concurrent processes ensure the same partitions without a conflict', async () => {
    const results = await Promise.all([1, 2, 3].map(() => ensurePartitionsAhead(data.knex, new Date('2033-06-15T00:00:00Z'), 2)));
    assert.deepEqual(results.flat().sort(), ['access_logs_y2033m06', 'access_logs_y2033m07', 'access_logs_y2033m08']);
  });

  it('flushes batches into the rollup exactly once per row, and holds a failed batch for the next flush', async () => {
    const logger = createLogger('test', 'silent');
    const writer = new AccessLogWriter({ knex: data.knex, logger, flushIntervalMs: 3_600_000, batchSize: 2, spillDir: tempSpillDir() });
    for (let i = 0; i < 5; i++)
      await writer.append(entry(`2033-06-20T08:0${i}:00Z`, { gate: 'rollup-gate', outcome: i === 4 ? 'revoked' : 'valid' }));
    await writer.flush();
    assert.equal(writer.buffered, 0);
    const rollup = await data.knex('access_log_hourly').where({ gate: 'rollup-gate' }).orderBy('outcome');
    assert.deepEqual(
      rollup.map((r: { outcome: string; count: number }) => [r.outcome, r.count]),
      [
        ['revoked', 1],
        ['valid', 4],
      ],
    );

    const broken = createKnex('postgres://postgres@127.0.0.1:1/none', 1, 1_000);
    const stranded = new AccessLogWriter({ knex: broken, logger, flushIntervalMs: 3_600_000, batchSize: 10, spillDir: tempSpillDir() });
    await stranded.append(entry('2033-06-20T09:00:00Z'));
    await assert.rejects(stranded.flush());
    assert.equal(stranded.buffered, 1, 'kept for a retry');
    await broken.destroy();
  });
});
