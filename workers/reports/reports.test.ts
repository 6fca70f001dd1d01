/**
 * Every report type through the real API, Postgres, Redis and the reports worker (in this
 * process), checked number by number against a small data set whose answers are worked out by
 * hand in the comments; plus request deduplication and the download contract.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { insertAccessLogs, type AccessLogEntry, type Direction } from '../../api/access-logs/writer.js';
import { call, type TestEnvironment } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

// Tests read arbitrary response shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text
    .trim()
    .split('\r\n')
    .map((line) => line.split(','));
  return lines.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? ''])));
}

describe('reports', () => {
  const world = useTestEnvironment('reports', { env: { WORKER_QUEUES: 'reports' }, workers: true, tokens: ['staff'] });
  before(() => seedKnownData(world.env));

  async function build(body: Json): Promise<{ report: Json; rows: Record<string, string>[]; html: string }> {
    const created = await call(world.api.url, 'POST', '/reports', { token: world.token('staff'), body });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const report = await eventually(async () => {
      const res = await call(world.api.url, 'GET', `/reports/${created.body.data.id}`, { token: world.token('staff') });
      if (res.body.data.status === 'failed') throw new Error(res.body.data.error);
      return res.body.data.status === 'completed' ? res.body.data : undefined;
    }, 'report to complete');
    const csv = await fetch(`${world.api.url}${report.links.csv}`, { headers: { authorization: `Bearer ${world.token('staff')}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment/);
    const html = await fetch(`${world.api.url}${report.links.html}`, { headers: { authorization: `Bearer ${world.token('staff')}` } });
    assert.equal(html.status, 200);
    return { report, rows: parseCsv(await csv.text()), html: await html.text() };
  }

  it('daily summary: per day and gate, with entries, exits and unique students', async () => {
    const { report, rows, html } = await build({ type: 'daily-summary', range: { from: '2026-03-02', to: '2026-03-03' } });
    assert.equal(report.progress, 100);
    assert.equal(report.rowCount, 3);
    const pick = (r: Record<string, string>) => [
      r.Day,
      r.Gate,
      r.Verifications,
      r.Granted,
      r.Denied,
      r.Entries,
      r.Exits,
      r['Unique students'],
    ];
    assert.deepEqual(rows.map(pick), [
      ['2026-03-02', 'north', '3', '3', '0', '2', '1', '2'],
      ['2026-03-02', 'south', '1', '0', '1', '0', '0', '1'],
      ['2026-03-03', 'south', '1', '1', '0', '1', '0', '1'],
    ]);
    assert.match(html, /Daily summary of gate verifications, 2026-03-02 to 2026-03-03/);
    assert.match(html, /<tfoot><tr><td>Total<\/td><td><\/td><td class="n">5<\/td>/);

    const north = await build({ type: 'daily-summary', range: { from: '2026-03-02', to: '2026-03-03' }, filters: { gates: ['north'] } });
    assert.deepEqual(north.rows.map(pick), [['2026-03-02', 'north', '3', '3', '0', '2', '1', '2']]);
  });

  it('weekly trends: ISO weeks with denial rate and week-over-week change', async () => {
    const { rows } = await build({ type: 'weekly-trends', range: { from: '2026-03-02', to: '2026-03-15' } });
    assert.deepEqual(
      rows.map((r) => [
        r['Week starting (Monday)'],
        r.Verifications,
        r.Granted,
        r.Denied,
        r['Denial rate %'],
        r['Unique students'],
        r['Change vs previous week %'],
      ]),
      [
        ['2026-03-02', '5', '4', '1', '20', '3', ''],
        ['2026-03-09', '2', '1', '1', '50', '2', '-60'],
      ],
    );
  });

  it('monthly: verifications, busiest gate, peak hour, applications and passes per month', async () => {
    const { rows } = await build({ type: 'monthly', range: { from: '2026-03-01', to: '2026-04-30' } });
    assert.equal(rows.length, 2);
    const [march, april] = rows as [Record<string, string>, Record<string, string>];
    assert.deepEqual(
      [
        march.Month,
        march.Verifications,
        march.Granted,
        march.Denied,
        march['Unique students'],
        march['Busiest gate'],
        march['Peak hour (UTC)'],
      ],
      ['2026-03', '7', '5', '2', '3', 'north', '8'],
    );
    assert.deepEqual(
      [
        march['Applications submitted'],
        march.Approved,
        march.Rejected,
        march['Approval rate %'],
        march['Average decision time (h)'],
        march['Passes issued'],
        march['Passes revoked'],
      ],
      ['2', '1', '1', '50', '13', '2', '0'],
    );
    assert.deepEqual(
      [
        april.Month,
        april.Verifications,
        april['Busiest gate'],
        april['Applications submitted'],
        april['Approval rate %'],
        april['Passes revoked'],
      ],
      ['2026-04', '1', 'south', '1', '', '1'],
    );
  });

  it('annual: one row per year, with the busiest month', async () => {
    const { rows } = await build({ type: 'annual', range: { from: '2025-01-01', to: '2026-12-31' } });
    const pick = (r: Record<string, string>) => [
      r.Year,
      r.Verifications,
      r.Granted,
      r.Denied,
      r['Unique students'],
      r['Busiest gate'],
      r['Peak hour (UTC)'],
      r['Busiest month'],
      r['Applications submitted'],
      r.Approved,
      r.Rejected,
      r['Passes issued'],
      r['Passes revoked'],
    ];
    assert.deepEqual(rows.map(pick), [
      ['2025', '1', '1', '0', '1', 'north', '23', '2025-12', '0', '0', '0', '0', '0'],
      ['2026', '8', '6', '2', '3', 'north', '8', '2026-03', '3', '1', '1', '2', '1'],
    ]);
  });

  it('shares one report between identical requests in the window, not between different ones', async () => {
    const body = {
      type: 'daily-summary',
      range: { from: '2026-03-10', to: '2026-03-10' },
      filters: { gates: ['south', 'north', 'south'] },
    };
    const first = await call(world.api.url, 'POST', '/reports', { token: world.token('staff'), body });
    const same = await call(world.api.url, 'POST', '/reports', {
      token: await world.env.tokenFor('admin'),
      body: { ...body, filters: { gates: ['north', 'south'] } },
    });
    const other = await call(world.api.url, 'POST', '/reports', {
      token: world.token('staff'),
      body: { ...body, filters: { direction: 'entry' } },
    });
    assert.equal(first.body.data.reused, false);
    assert.equal(same.body.data.id, first.body.data.id);
    assert.equal(same.body.data.reused, true);
    assert.notEqual(other.body.data.id, first.body.data.id);
    assert.equal(Number((await world.env.knex('reports').where({ range_from: '2026-03-10' }).count('* as n'))[0]!.n), 2);
  });

  it('validates requests and refuses downloads of unfinished reports', async () => {
    const backwards = await call(world.api.url, 'POST', '/reports', {
      token: world.token('staff'),
      body: { type: 'monthly', range: { from: '2026-03-02', to: '2026-03-01' } },
    });
    assert.equal(backwards.status, 400);
    const tooLong = await call(world.api.url, 'POST', '/reports', {
      token: world.token('staff'),
      body: { type: 'daily-summary', range: { from: '2025-01-01', to: '2026-01-01' } },
    });
    assert.equal(tooLong.status, 400);
    assert.equal((await call(world.api.url, 'POST', '/reports', { token: world.token('staff'), body: { type: 'hourly' } })).status, 400);
    const [pending] = await world.env
      .knex('reports')
      .insert({ type: 'annual', range_from: '2020-01-01', range_to: '2020-12-31', request_hash: randomUUID() })
      .returning('id');
    const early = await call(world.api.url, 'GET', `/reports/${pending.id}/download?format=csv`, { token: world.token('staff') });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'REPORT_NOT_READY');
    assert.equal((await call(world.api.url, 'GET', `/reports/${randomUUID()}`, { token: world.token('staff') })).status, 404);
  });
});

/**
 * The data set. Access logs (UTC):
 *   2025-12-31 23:59 north entry valid s1                  ← only row of 2025
 *   2026-03-02 08:10 north entry valid s1, 08:20 north entry valid s2, 17:05 north exit valid s1,
 *              09:00 south entry revoked s3
 *   2026-03-03 08:15 south entry valid s3                   ← week of 03-02: 5 verifications, 1 denied
 *   2026-03-10 08:30 north entry valid s1, 12:00 north entry expired s2  ← week of 03-09: 2, 1 denied
 *   2026-04-01 08:05 south entry valid s2
 * Applications: submitted 03-05 10:00, approved 03-06 10:00 (24 h); submitted 03-21 10:00,
 * rejected 03-21 12:00 (2 h); submitted 04-10, undecided. Passes: issued 03-06 and 03-15, the
 * second revoked 04-03.
 */
async function seedKnownData(env: TestEnvironment): Promise<void> {
  const knex = env.knex;
  const students = await knex('students')
    .insert(
      ['S1', 'S2', 'S3'].map((n, i) => ({
        student_id: `CS202300000${i + 1}`,
        first_name: n,
        last_name: 'Known',
        email: `${n.toLowerCase()}@known.edu`,
        programme: 'law',
        year_of_study: 1,
      })),
    )
    .returning('id');
  const [s1, s2, s3] = students.map((s: { id: string }) => s.id) as [string, string, string];
  const log = (at: string, gate: string, direction: Direction, outcome: string, student: string): AccessLogEntry => ({
    occurredAt: new Date(at),
    passId: null,
    studentId: student,
    gate,
    direction,
    outcome,
    verifiedBy: null,
    requestId: null,
  });
  // Through the API's writer, as gates record them: the rows and their hourly rollup in one
  // statement, the presence rollup by the table's trigger.
  await insertAccessLogs(knex, [
    log('2025-12-31T23:59:00Z', 'north', 'entry', 'valid', s1),
    log('2026-03-02T08:10:00Z', 'north', 'entry', 'valid', s1),
    log('2026-03-02T08:20:00Z', 'north', 'entry', 'valid', s2),
    log('2026-03-02T17:05:00Z', 'north', 'exit', 'valid', s1),
    log('2026-03-02T09:00:00Z', 'south', 'entry', 'revoked', s3),
    log('2026-03-03T08:15:00Z', 'south', 'entry', 'valid', s3),
    log('2026-03-10T08:30:00Z', 'north', 'entry', 'valid', s1),
    log('2026-03-10T12:00:00Z', 'north', 'entry', 'expired', s2),
    log('2026-04-01T08:05:00Z', 'south', 'entry', 'valid', s2),
  ]);
  const application = (student: string, submitted: string, status: string, decided: string | null) => ({
    student_id: student,
    pass_type: 'standard',
    reason: 'campus access',
    requested_valid_from: '2026-04-01T00:00:00Z',
    requested_valid_until: '2026-12-31T00:00:00Z',
    status,
    submitted_at: submitted,
    decided_at: decided,
  });
  await knex('applications').insert([
    application(s1, '2026-03-05T10:00:00Z', 'approved', '2026-03-06T10:00:00Z'),
    application(s2, '2026-03-21T10:00:00Z', 'rejected', '2026-03-21T12:00:00Z'),
    application(s3, '2026-04-10T10:00:00Z', 'submitted', null),
  ]);
  const pass = (student: string, created: string, revoked: string | null) => ({
    student_id: student,
    pass_type: 'standard',
    status: revoked ? 'revoked' : 'active',
    valid_from: created,
    valid_until: '2026-12-31T00:00:00Z',
    key_id: 'k1',
    qr_token: randomUUID(),
    qr_code_hash: randomUUID(),
    created_at: created,
    revoked_at: revoked,
  });
  await knex('passes').insert([pass(s1, '2026-03-06T10:00:00Z', null), pass(s2, '2026-03-15T10:00:00Z', '2026-04-03T10:00:00Z')]);
}
