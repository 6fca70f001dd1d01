/**
 * The access log's local spill against a real Postgres: entries acknowledged while Postgres is
 * unreachable survive the process and reach the table at the next start, exactly once (a replay
 * of a segment already inserted adds neither rows nor rollup counts), and a line torn by a crash
 * is skipped rather than blocking the rest.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../../core/db.js';
import { createLogger } from '../../core/logger.js';
import { tempSpillDir } from '../../testing/spill.js';
import { AccessLogSpill } from './spill.js';
import { AccessLogWriter, type AccessLogEntry } from './writer.js';
import { useTestDatabase } from '../../testing/use-test-environment.js';

const logger = createLogger('test', 'silent');
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/none';

describe('access log spill', () => {
  const data = useTestDatabase('spill', 2, 10_000);
  after(() => Promise.all(unreachable.map((pool) => pool.destroy())));

  const entry = (gate: string, minute: number): AccessLogEntry => ({
    occurredAt: new Date(Date.UTC(2033, 6, 1, 8, minute)),
    passId: randomUUID(),
    studentId: randomUUID(),
    gate,
    direction: 'entry',
    outcome: 'valid',
    verifiedBy: null,
    requestId: `req-${gate}-${minute}`,
  });
  const unreachable: Knex[] = [];
  const writer = (dir: string, url = data.database.url) => {
    const pool = url === data.database.url ? data.knex : createKnex(url, 1, 1_000, logger);
    if (pool !== data.knex) unreachable.push(pool);
    return new AccessLogWriter({ knex: pool, logger, flushIntervalMs: 3_600_000, batchSize: 2, spillDir: dir });
  };
  const rows = async (gate: string) => Number(((await data.knex('access_logs').where({ gate }).count('* as n')) as [{ n: number }])[0].n);
  const rolledUp = async (gate: string) =>
    Number(((await data.knex('access_log_hourly').where({ gate }).sum('count as n')) as [{ n: number | null }])[0].n ?? 0);

  it('keeps what was acknowledged while Postgres was down, and writes it at the next start', async () => {
    const dir = tempSpillDir();
    const down = writer(dir, UNREACHABLE);
    await down.start();
    for (let i = 0; i < 5; i++) await down.append(entry('spill-a', i));
    assert.equal(down.buffered, 5);
    await assert.rejects(down.flush());
    await down.close();
    assert.equal(await rows('spill-a'), 0);

    const next = writer(dir);
    await next.start();
    assert.equal(await rows('spill-a'), 5);
    assert.equal(await rolledUp('spill-a'), 5);
    assert.equal(next.buffered, 0);
    assert.deepEqual(readdirSync(dir), [], 'segments are deleted once written');
    await next.close();
  });

  it('replays a segment that was written but not deleted without doubling rows or rollups', async () => {
    const dir = tempSpillDir();
    const backup = tempSpillDir();
    const down = writer(dir, UNREACHABLE);
    for (let i = 0; i < 3; i++) await down.append(entry('spill-b', i));
    await down.close();
    for (const name of readdirSync(dir)) copyFileSync(join(dir, name), join(backup, name));

    const first = writer(dir);
    await first.start();
    await first.close();
    // As if the process died between the insert and the delete.
    for (const name of readdirSync(backup)) copyFileSync(join(backup, name), join(dir, name));
    const second = writer(dir);
    await second.start();
    await second.close();
    assert.equal(await rows('spill-b'), 3);
    assert.equal(await rolledUp('spill-b'), 3);
  });

  it('skips a line torn by a crash and writes the others', async () => {
    const dir = tempSpillDir();
    const down = writer(dir, UNREACHABLE);
    for (let i = 0; i < 2; i++) await down.append(entry('spill-c', i));
    await down.close();
    const [segment] = readdirSync(dir);
    appendFileSync(join(dir, segment!), '{"entry_id":"torn');
    const next = writer(dir);
    await next.start();
    assert.equal(await rows('spill-c'), 2);
    await next.close();
  });
});

describe('access log spill segments read back', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ entry_id: randomUUID(), n: i }));
  async function readAll(spill: AccessLogSpill, batchSize: number): Promise<string[][]> {
    const batches: string[][] = [];
    for (const segment of await spill.seal()) for await (const batch of spill.read(segment, batchSize)) batches.push(batch);
    return batches;
  }

  for (const [label, memoryLines] of [
    ['kept in memory', 100],
    ['past the memory bound, from disk', 3],
  ] as const) {
    it(`gives back what this process wrote, in order and in batches, as the file holds it (${label})`, async () => {
      const dir = tempSpillDir();
      const spill = new AccessLogSpill(dir, logger, memoryLines);
      await spill.open();
      const written = lines(7);
      // Three group commits: the bound is crossed by the second when it is 3.
      await spill.append(written.slice(0, 2));
      await spill.append(written.slice(2, 5));
      await spill.append(written.slice(5));
      const batches = await readAll(spill, 3);
      assert.deepEqual(
        batches.map((batch) => batch.length),
        [3, 3, 1],
      );
      assert.deepEqual(batches.flat(), written);
      await spill.close();
      // The other side: the same directory opened afresh, as the next start reads it (from disk only).
      const fresh = new AccessLogSpill(dir, logger);
      await fresh.open();
      assert.deepEqual((await readAll(fresh, 3)).flat(), written);
    });
  }
});
