/**
 * The reports read rollups (hourly counts, per-period presence); this checks every figure they
 * take from them against the same figure computed from the access-log rows themselves, on data
 * written the ways production writes it: the bulk seed (generated inside Postgres, 400 days,
 * across a new year) and the API's writer (including a replayed batch, which must add nothing,
 * and refused codes with no student). Ranges cut weeks, months and years, so partial periods
 * (whole months plus days, days alone) are checked as well as whole ones; with and without filters.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { insertAccessLogs, type AccessLogEntry } from '../../api/access-logs/writer.js';
import { normaliseReportRequest, type ReportFilters, type ReportType } from '../../core/report-request.js';
import { seedAccessLogs, seedPasses } from '../../scripts/seed-passes.js';
import { useTestDatabase } from '../../testing/use-test-environment.js';
import { DayTextCache } from '../../domain/analytics/day-texts.js';
import { verificationsJson } from '../../domain/analytics/repository.js';
import { VerificationSeriesView, VerificationsView } from '../../domain/analytics/views.js';
import { REPORT_QUERIES, GRANTED_OUTCOME } from './queries.js';

const DAY_MS = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

const TRUNC: Record<ReportType, string> = { 'daily-summary': 'day', 'weekly-trends': 'week', monthly: 'month', annual: 'year' };
const KEY: Record<ReportType, string> = { 'daily-summary': 'day', 'weekly-trends': 'week_start', monthly: 'month', annual: 'year' };

interface RawRow {
  period: string;
  gate: string | null;
  verifications: number;
  granted: number;
  denied: number;
  entries: number;
  exits: number;
  unique_students: number;
}

/** The report's figures straight from `access_logs` (what the reports computed before the rollups). */
async function fromRows(knex: Knex, type: ReportType, range: { from: string; to: string }, filters: ReportFilters) {
  const clauses = [`occurred_at >= ?::timestamptz`, `occurred_at < ?::timestamptz + interval '24 hours'`];
  const bindings: unknown[] = [`${range.from}T00:00:00Z`, `${range.to}T00:00:00Z`];
  if (filters.gates) {
    clauses.push('gate = any(?::text[])');
    bindings.push(filters.gates);
  }
  if (filters.direction) {
    clauses.push('direction = ?');
    bindings.push(filters.direction);
  }
  const period = `to_char(date_trunc('${TRUNC[type]}', occurred_at at time zone 'UTC'), 'YYYY-MM-DD')`;
  const byGate = type === 'daily-summary';
  const main = (
    await knex.raw<{ rows: RawRow[] }>(
      `select ${period} as period, ${byGate ? 'gate' : 'null'} as gate, count(*)::int as verifications,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}'))::int as granted,
              (count(*) filter (where outcome <> '${GRANTED_OUTCOME}'))::int as denied,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'entry'))::int as entries,
              (count(*) filter (where outcome = '${GRANTED_OUTCOME}' and direction = 'exit'))::int as exits,
              count(distinct student_id)::int as unique_students
         from access_logs where ${clauses.join(' and ')} group by 1, 2 order by 1, 2`,
      bindings as Knex.RawBinding[],
    )
  ).rows;
  // Busiest gate, peak hour and busiest month: most verifications, ties to the smallest key.
  const busiest = async (what: string) =>
    new Map(
      (
        await knex.raw<{ rows: { period: string; key: string }[] }>(
          `select distinct on (period) period, key from (
             select ${period} as period, (${what})::text as key, count(*) as n from access_logs where ${clauses.join(' and ')} group by 1, 2
           ) x order by period, n desc, ${what === 'gate' ? 'key' : 'key::int'}`,
          bindings as Knex.RawBinding[],
        )
      ).rows.map((r) => [r.period, r.key]),
    );
  return {
    main,
    gate: await busiest('gate'),
    hour: await busiest(`extract(hour from occurred_at at time zone 'UTC')::int`),
    month: await busiest(`to_char(occurred_at at time zone 'UTC', 'YYYYMM')`),
  };
}

const HOUR_MS = 3_600_000;

interface RawBucket {
  bucket: Date;
  gate: string;
  total: number;
  valid: number;
  entries: number;
  exits: number;
}

/**
 * The analytics answer for `q`, both layouts, as the JSON text the API must send, computed here
 * from the access-log rows themselves: buckets by time then gate, outcomes largest first (ties by
 * name), gates by name, each series one value per bucket of the range.
 */
async function analyticsFromRows(
  knex: Knex,
  q: { granularity: 'hour' | 'day'; from: Date; to: Date; gate: string | undefined },
): Promise<{ rows: string; series: string; buckets: number }> {
  const where = `occurred_at >= ? and occurred_at < ?${q.gate ? ' and gate = ?' : ''}`;
  const bindings = [q.from, q.to, ...(q.gate ? [q.gate] : [])];
  const raw = (
    await knex.raw<{ rows: RawBucket[] }>(
      `select date_trunc('${q.granularity}', occurred_at, 'UTC') as bucket, gate, count(*)::int as total,
              (count(*) filter (where outcome = 'valid'))::int as valid,
              (count(*) filter (where outcome = 'valid' and direction = 'entry'))::int as entries,
              (count(*) filter (where outcome = 'valid' and direction = 'exit'))::int as exits
         from access_logs where ${where} group by 1, 2 order by 1, 2`,
      bindings,
    )
  ).rows;
  const outcomeRows = (
    await knex.raw<{ rows: { outcome: string; n: number }[] }>(
      `select outcome, count(*)::int as n from access_logs where ${where} group by 1`,
      bindings,
    )
  ).rows;
  const outcomes = Object.fromEntries(
    outcomeRows.sort((x, y) => y.n - x.n || (x.outcome < y.outcome ? -1 : 1)).map((o) => [o.outcome, o.n]),
  );
  const head = { granularity: q.granularity, from: q.from.toISOString(), to: q.to.toISOString() };
  const buckets = raw.map((r) => ({
    bucket: r.bucket.toISOString(),
    gate: r.gate,
    total: r.total,
    valid: r.valid,
    invalid: r.total - r.valid,
    entries: r.entries,
    exits: r.exits,
  }));
  const step = q.granularity === 'hour' ? HOUR_MS : DAY_MS;
  const slots = Math.round((q.to.getTime() - q.from.getTime()) / step);
  const gates: Record<string, Record<'total' | 'valid' | 'invalid' | 'entries' | 'exits', number[]>> = {};
  for (const name of [...new Set(raw.map((r) => r.gate))].sort()) {
    const zeros = () => new Array<number>(slots).fill(0);
    gates[name] = { total: zeros(), valid: zeros(), invalid: zeros(), entries: zeros(), exits: zeros() };
  }
  for (const b of buckets) {
    const i = Math.floor((Date.parse(b.bucket) - q.from.getTime()) / step);
    const figures = gates[b.gate]!;
    for (const key of ['total', 'valid', 'invalid', 'entries', 'exits'] as const) figures[key][i] = b[key];
  }
  return {
    rows: JSON.stringify({ ...head, buckets, outcomes }),
    series: JSON.stringify({ ...head, layout: 'series', gates, outcomes }),
    buckets: buckets.length,
  };
}

/**
 * Asks `verificationsJson` for hourly ranges cut at both ends (partial first and last days, whole
 * days between; shorter than a day), daily ranges (whole days; and one not starting at midnight),
 * per gate in `gates`, and checks each text against the rows' own; returns how many it compared.
 * Each answer is asked twice: reading every day's text, and with `dayTexts`, the per-process cache
 * of day texts the API keeps (holding what earlier answers, and earlier tests, read).
 */
async function compareAnalytics(knex: Knex, newest: number, gates: (string | undefined)[], dayTexts: DayTextCache): Promise<number> {
  const hourNow = Math.floor(newest / HOUR_MS) * HOUR_MS;
  const dayNow = Math.floor(newest / DAY_MS) * DAY_MS;
  // A daily range not starting at midnight (the API aligns ranges to whole buckets; verificationsJson
  // takes any) has no series of one value per bucket: its rows layout only.
  const ranges: { granularity: 'hour' | 'day'; from: Date; to: Date; rowsOnly?: true }[] = [
    { granularity: 'hour', from: new Date(hourNow - 29 * HOUR_MS), to: new Date(hourNow + HOUR_MS) },
    { granularity: 'hour', from: new Date(hourNow - 674 * HOUR_MS), to: new Date(hourNow - 50 * HOUR_MS) },
    { granularity: 'hour', from: new Date(hourNow - 5 * HOUR_MS), to: new Date(hourNow + HOUR_MS) },
    { granularity: 'hour', from: new Date(dayNow - 12 * DAY_MS), to: new Date(dayNow - 2 * DAY_MS) },
    { granularity: 'day', from: new Date(dayNow - 90 * DAY_MS), to: new Date(dayNow + DAY_MS) },
    { granularity: 'day', from: new Date(dayNow - 403 * DAY_MS), to: new Date(dayNow - 3 * DAY_MS) },
    { granularity: 'day', from: new Date(dayNow - 20 * DAY_MS + 7 * HOUR_MS), to: new Date(dayNow - 2 * DAY_MS), rowsOnly: true },
  ];
  let compared = 0;
  for (const { rowsOnly, ...range } of ranges) {
    for (const gate of gates) {
      const q = { ...range, gate };
      const label = `${q.granularity} ${q.from.toISOString()}..${q.to.toISOString()} gate ${gate ?? '*'}`;
      const expected = await analyticsFromRows(knex, q);
      if (gate === undefined) assert.ok(expected.buckets > 0, `${label}: rows to compare`);
      const rows = (await verificationsJson(knex, q)).toString();
      VerificationsView.parse(JSON.parse(rows));
      assert.equal(rows, expected.rows, `${label}: rows layout`);
      assert.equal((await verificationsJson(knex, q, dayTexts)).toString(), expected.rows, `${label}: rows layout, day texts held`);
      compared++;
      if (rowsOnly) continue;
      const series = (await verificationsJson(knex, { ...q, layout: 'series' })).toString();
      VerificationSeriesView.parse(JSON.parse(series));
      assert.equal(series, expected.series, `${label}: series layout`);
      compared++;
    }
  }
  return compared;
}

describe('reports from rollups equal reports from the rows', () => {
  const data = useTestDatabase('report-rollups', 4, 120_000);
  let newest = 0;
  // One for the file, as the API keeps one per process: the last test writes into days it holds.
  const dayTexts = new DayTextCache();

  before(async () => {
    await data.knex.raw(`insert into students (student_id, first_name, last_name, email, programme, year_of_study)
      select 'RR2026' || lpad(i::text, 4, '0'), 'F' || i, 'L' || i, 'rr' || i || '@university.edu', 'law', 1 from generate_series(1, 300) i`);
    await seedPasses(data.knex, { count: 400 });
    await seedAccessLogs(data.knex, { count: 60_000, days: 400 });
    // The writer's path: a batch, the same batch replayed (entries already present add nothing),
    // refused codes that name no student.
    const students = (await data.knex('students').limit(20).pluck('id')) as string[];
    const now = Date.now();
    const batch: AccessLogEntry[] = students.flatMap((studentId, i) => [
      {
        entryId: randomUUID(),
        occurredAt: new Date(now - i * 3_600_000),
        passId: null,
        studentId,
        gate: 'writer-gate',
        direction: i % 2 ? 'exit' : 'entry',
        outcome: 'valid',
        verifiedBy: null,
        requestId: null,
      },
      {
        entryId: randomUUID(),
        occurredAt: new Date(now - i * 7_200_000),
        passId: null,
        studentId: null,
        gate: 'main-gate',
        direction: 'entry',
        outcome: 'forged',
        verifiedBy: null,
        requestId: null,
      },
    ]);
    await insertAccessLogs(data.knex, batch);
    await insertAccessLogs(data.knex, batch);
    newest = now;
  });

  const requests = (): { type: ReportType; range: { from: string; to: string } }[] => {
    const year = new Date(newest).getUTCFullYear();
    return [
      { type: 'daily-summary', range: { from: day(newest - 40 * DAY_MS), to: day(newest) } },
      { type: 'weekly-trends', range: { from: day(newest - 200 * DAY_MS), to: day(newest - 3 * DAY_MS) } },
      { type: 'monthly', range: { from: day(newest - 380 * DAY_MS), to: day(newest - 9 * DAY_MS) } },
      { type: 'annual', range: { from: `${year - 1}-01-01`, to: `${year}-12-31` } },
      { type: 'annual', range: { from: day(newest - 390 * DAY_MS), to: day(newest - 20 * DAY_MS) } },
    ];
  };
  const filterSets: ReportFilters[] = [
    {},
    { gates: ['library', 'main-gate'] },
    { direction: 'entry' },
    { gates: ['north-gate', 'writer-gate'], direction: 'exit' },
  ];

  it('the seeded rows and the writer path are all counted, replays once', async () => {
    const [{ n }] = (await data.knex('access_logs').count('* as n')) as [{ n: string }];
    assert.equal(Number(n), 60_040);
    const [{ rolled }] = (await data.knex('access_log_hourly').sum('count as rolled')) as [{ rolled: string }];
    assert.equal(Number(rolled), 60_040);
  });

  for (const filters of filterSets) {
    it(`every report type, whole and cut periods, filters ${JSON.stringify(filters)}`, async () => {
      let compared = 0;
      for (const { type, range } of requests()) {
        const report = await REPORT_QUERIES[type](data.knex, normaliseReportRequest({ type, range, filters }, new Date(newest)));
        const raw = await fromRows(data.knex, type, range, filters);
        const byPeriod = new Map(raw.main.map((r) => [`${r.period}|${r.gate ?? ''}`, r]));
        const key = KEY[type];
        const reportRows = report.rows.filter((r) => type !== 'weekly-trends' || Number(r.verifications) > 0);
        assert.equal(reportRows.length, raw.main.length, `${type} ${range.from}..${range.to}: periods with verifications`);
        for (const row of reportRows) {
          const cell = String(row[key]);
          const period = type === 'monthly' ? `${cell}-01` : type === 'annual' ? `${cell}-01-01` : cell;
          const expected = byPeriod.get(`${period}|${type === 'daily-summary' ? String(row.gate) : ''}`);
          const where = `${type} ${range.from}..${range.to} ${JSON.stringify(filters)} ${cell} ${String(row.gate ?? '')}`;
          assert.ok(expected, `${where}: no such period in the rows`);
          assert.deepEqual(
            [row.verifications, row.granted, row.denied, row.unique_students],
            [expected.verifications, expected.granted, expected.denied, expected.unique_students],
            where,
          );
          if (type === 'daily-summary') assert.deepEqual([row.entries, row.exits], [expected.entries, expected.exits], where);
          if (type === 'monthly' || type === 'annual') {
            assert.equal(row.busiest_gate, raw.gate.get(period), `${where}: busiest gate`);
            assert.equal(String(row.peak_hour), raw.hour.get(period), `${where}: peak hour`);
          }
          if (type === 'annual') assert.equal(String(row.busiest_month).replace('-', ''), raw.month.get(period), `${where}: busiest month`);
          compared++;
        }
      }
      assert.ok(compared > 50, `compared ${compared} rows`);
    });
  }

  it("analytics (hourly and daily buckets per gate, totals by outcome) are the rows' figures, byte for byte, with and without a gate", async () => {
    const compared = await compareAnalytics(data.knex, newest, [undefined, 'library', 'writer-gate'], dayTexts);
    assert.ok(compared > 20, `compared ${compared} answers`);
    assert.ok(
      dayTexts.counts.reused > 0 && dayTexts.counts.read > 0,
      `day texts reused ${dayTexts.counts.reused}, read ${dayTexts.counts.read}`,
    );
  });

  // Last: it adds rows. The per-day pieces of a finished day must follow a late write into it, and
  // those of a day written by several transactions at once must hold every one's rows.
  it('analytics after late writes into finished days, writes today and concurrent writes into one day', async () => {
    const students = (await data.knex('students').limit(40).pluck('id')) as string[];
    const entry = (at: number, gate: string, i: number): AccessLogEntry => ({
      entryId: randomUUID(),
      occurredAt: new Date(at),
      passId: null,
      studentId: students[i % students.length] ?? null,
      gate,
      direction: i % 3 ? 'entry' : 'exit',
      outcome: i % 4 ? 'valid' : 'expired',
      verifiedBy: null,
      requestId: null,
    });
    const hourNow = Math.floor(newest / 3_600_000) * 3_600_000;
    // The day texts of the last four weeks held, as an API that answered before the writes holds them.
    await verificationsJson(data.knex, { granularity: 'hour', from: new Date(hourNow - 28 * DAY_MS), to: new Date(hourNow) }, dayTexts);
    const readBefore = dayTexts.counts.read;
    // A finished day, ten days back (its pieces were written by the seed), and today.
    await insertAccessLogs(data.knex, [
      entry(hourNow - 10 * DAY_MS + 5 * 60_000, 'late-gate', 1),
      entry(hourNow - 10 * DAY_MS, 'library', 2),
    ]);
    await insertAccessLogs(data.knex, [entry(newest, 'late-gate', 3)]);
    // Yesterday, from two transactions at once, into hours of their own (no hourly rollup row is
    // shared: only the day's lock orders them). The second writes while the first is open: it must
    // wait for the first's commit, or it would rewrite the day's pieces without the first's row.
    const yesterday = Math.floor(newest / DAY_MS) * DAY_MS - DAY_MS;
    const first = await data.knex.transaction();
    await insertAccessLogs(first, [entry(yesterday + 2 * 3_600_000, 'concurrent-0', 4)]);
    let secondDone = false;
    const second = insertAccessLogs(data.knex, [entry(yesterday + 9 * 3_600_000, 'concurrent-1', 5)]).finally(() => {
      secondDone = true;
    });
    const waitingForLock = async () =>
      (
        await data.knex.raw<{ rows: { n: number }[] }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )
      ).rows[0]!.n > 0;
    while (!secondDone && !(await waitingForLock())) await delay(10);
    await first.commit();
    await second;
    const compared = await compareAnalytics(data.knex, newest, [undefined, 'late-gate', 'concurrent-1'], dayTexts);
    assert.ok(compared > 20, `compared ${compared} answers`);
    assert.ok(dayTexts.counts.read > readBefore, 'the days written since were read again');
    const late = VerificationsView.parse(
      JSON.parse(
        (
          await verificationsJson(data.knex, {
            granularity: 'day',
            from: new Date(Math.floor(newest / DAY_MS) * DAY_MS - 30 * DAY_MS),
            to: new Date(Math.floor(newest / DAY_MS) * DAY_MS + DAY_MS),
          })
        ).toString(),
      ),
    );
    assert.deepEqual(
      late.buckets.filter((b) => b.gate === 'late-gate').map((b) => b.total),
      [1, 1],
      'the late gate: one row ten days back, one today',
    );
  });
});
